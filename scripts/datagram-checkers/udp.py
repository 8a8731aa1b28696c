import selectors, socket, sys
mode, host = sys.argv[1], sys.argv[2]
sel = selectors.DefaultSelector()
for port in sys.argv[3:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, int(port)))
    sel.register(s, selectors.EVENT_READ)
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        data, peer = key.fileobj.recvfrom(65536)
        if mode == "echo":
            key.fileobj.sendto(data, peer)
