kubectl -n <NAMESPACE> rollout undo deploy/{{ .name }} && kubectl scale deploy/x --replicas=$N
