echo "set server be_web/<server> state drain" | socat stdio /run/haproxy/admin.sock
