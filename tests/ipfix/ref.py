# Independent reference: the messages test_ipfix.c expects, from the
# field table in docs/DESIGN.md, built with struct like send.py.
import struct, socket
PEN=32473
def ie(i,l,pen=0): return struct.pack('!HHI',i|0x8000,l,pen) if pen else struct.pack('!HH',i,l)
def flowf(s,d,al,cie): return [ie(s,al),ie(d,al),ie(7,2),ie(11,2),ie(4,1),ie(6,1),ie(1,8),ie(2,8),ie(152,8),ie(153,8),ie(136,1),ie(61,1),ie(1001,8,PEN),ie(cie,al,PEN),ie(1004,8,PEN)]
f4=flowf(8,12,4,1002); f6=flowf(27,28,16,1003)
t=struct.pack('!HH',256,len(f4))+b''.join(f4)+struct.pack('!HH',257,len(f6))+b''.join(f6)
tset=struct.pack('!HH',2,4+len(t))+t
o=struct.pack('!HHH',258,2,1)+ie(144,4)+ie(166,8)
oset=struct.pack('!HH',3,4+len(o))+o
def rec(ca,pa,cp,pp,proto,fl,ub,up,db,dp,fm,lm,er,cid,fid,v6,direction):
    A=(lambda x: socket.inet_pton(socket.AF_INET6,x)) if v6 else socket.inet_aton
    if direction==0: s,d,sp,dpo,b,p=ca,pa,cp,pp,ub,up
    else: s,d,sp,dpo,b,p=pa,ca,pp,cp,db,dp
    return A(s)+A(d)+struct.pack('!HHBBQQQQBBQ',sp,dpo,proto,fl,b,p,fm,lm,er,direction,cid)+A(ca)+struct.pack('!Q',fid)
def msg(sets,seq,dom,t): 
    body=b''.join(sets); return struct.pack('!HHIII',10,16+len(body),t,seq,dom)+body
def dset(tid,recs): r=b''.join(recs); return struct.pack('!HH',tid,4+len(r))+r
FM=1764680000000; LM=1764680005308
r4=[rec('10.0.0.2','192.0.2.1',40000,443,6,0x1b,1500,3,90000,60,FM,LM,3,1<<40,7,False,d) for d in (0,1)]
m4=msg([tset,oset,dset(256,r4)],0,7,1764680006)
r6=[rec('2001:db8::2','2001:db8:1::1',40001,53,17,0,120,1,0,0,FM,LM,1,42,8,True,0)]
m6=msg([dset(257,r6)],2,7,1764680007)
def carr(name,b):
    print('static const uint8_t %s[%d] = {'%(name,len(b)))
    for i in range(0,len(b),12): print('\t'+' '.join('0x%02x,'%x for x in b[i:i+12]))
    print('};')
carr('MSG_V4',m4); carr('MSG_V6',m6)
open('m4.bin','wb').write(m4); open('m6.bin','wb').write(m6)
print(len(tset),len(oset))
