import socket, sys, time, binascii, struct
ifname = sys.argv[1]; dur = float(sys.argv[2]); out = sys.argv[3]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((ifname, 0)); s.settimeout(0.2)
end = time.time() + dur
with open(out, 'w') as f:
    while time.time() < end:
        try: fr, addr = s.recvfrom(65535)
        except socket.timeout: continue
        if addr[2] == socket.PACKET_OUTGOING: continue
        et = struct.unpack('!H', fr[12:14])[0]
        ip = fr[14:]
        if et == 0x0800 and ip[9] == 112:
            f.write("%.6f ipv4 %s\n" % (time.time(), binascii.hexlify(ip).decode())); f.flush()
