{
  "targets": [
    {
      "target_name": "packet_socket",
      "sources": ["packet_socket.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
