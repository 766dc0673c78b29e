cat <<EOF
$X <a>
EOF
amtool silence add alertname=X -d 2h 'a=~b' [server-name] XXX
