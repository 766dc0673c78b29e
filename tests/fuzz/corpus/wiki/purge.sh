rabbitmqctl purge_queue q -p / ; echo '<your name>' $'\'<b c>'
