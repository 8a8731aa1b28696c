import socket, sys, time, binascii, struct
ifname = sys.argv[1]; dur = float(sys.argv[2]); out = sys.argv[3]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((ifname, 0)); s.settimeout(0.2)
seen = {}
end = time.time() + dur
with open(out, 'w') as f:
    while time.time() < end:
        try: fr, addr = s.recvfrom(65535)
        except socket.timeout: continue
        if addr[2] == socket.PACKET_OUTGOING: continue
        et = struct.unpack('!H', fr[12:14])[0]
        ip = fr[14:]
        if et == 0x0800 and ip[9] == 112:
            ihl = (ip[0] & 15) * 4; v = ip[ihl:]
            key = ('4', v[0], v[1], v[2])
        elif et == 0x86dd and ip[6] == 112:
            v = ip[40:]; key = ('6', v[0], v[1], v[2])
        else: continue
        seen[key] = seen.get(key, 0) + 1
        if seen[key] <= 2:
            f.write("%s %s %s\n" % (time.time(), et == 0x0800 and 'ipv4' or 'ipv6', binascii.hexlify(ip).decode())); f.flush()
