"""The Understudy Slack app: `create_slack_app` (slack_app.app), HTTP mode (slack_app.http.init_slack) and
Socket Mode (slack_app.socket.run_socket_mode)."""
