# Reads what trace.sh recorded: see there.
import re, sys, bisect, datetime
d = sys.argv[1]
pgmap = {}
if len(sys.argv) > 2:
    for line in open(sys.argv[2]):
        name, pg = line.strip().split('|'); pgmap[int(pg)] = name
io = []
for line in open(f'{d}/io.txt'):
    t, _, v = line.split(); io.append((float(t), int(v)))
times=[t for t,_ in io]
def wb_at(ts):
    i = bisect.bisect_right(times, ts) - 1
    return io[max(i,0)][1]
rx = re.compile(r'^(\d+)\s+(\d\d:\d\d:\d\d\.\d+) (\w+)\((\d+)<([^>]*)>(?:, "([^"]*)")?(?:\.\.\.)?(?:, (\d+))?(?:, (\d+))?')
day = datetime.date.today()
events = []
for line in open(f'{d}/strace.txt'):
    m = rx.match(line)
    if not m: continue
    tid, tm, call, fd, path, data, n, off = m.groups()
    path = bytes(int(x,16) for x in re.findall(r'\\x([0-9a-f]{2})', path)).decode() if '\\x' in path else path
    if not path.startswith('/var/tmp'): continue
    h,mi,s = tm.split(':'); ts = datetime.datetime.combine(day, datetime.time(int(h),int(mi))).timestamp()+float(s)
    events.append((ts, call, path.rsplit('/',1)[1], data, n, off))
# group bursts: events within 0.3 s
bursts=[]; cur=[]
for e in events:
    if cur and e[0]-cur[-1][0] > 0.3: bursts.append(cur); cur=[]
    cur.append(e)
if cur: bursts.append(cur)
tot = {}
for b in bursts:
    t0 = b[0][0]
    before = wb_at(t0-0.01); after = wb_at(b[-1][0]+1.2)
    desc=[]; frames=[]; commits=0
    for ts, call, f, data, n, off in b:
        if call=='pwrite64' and f.endswith('-wal') and n=='24':
            by = bytes(int(x,16) for x in re.findall(r'\\x([0-9a-f]{2})', data))
            pg = int.from_bytes(by[0:4],'big'); c = int.from_bytes(by[4:8],'big')
            frames.append(pgmap.get(pg, str(pg)))
            if c: commits+=1; frames.append('|')
        elif call=='pwrite64' and f.endswith('-wal'): pass
        else: desc.append(f"{call}:{f}" + (f":{n}" if n and call in('pwrite64','write') else ''))
    print(f"{datetime.datetime.fromtimestamp(t0).strftime('%H:%M:%S.%f')[:-3]} dWB={after-before:7d} commits={commits} frames={' '.join(frames)} {' '.join(desc)}")
print('total WB in trace', io[-1][1]-io[0][1], 'from', datetime.datetime.fromtimestamp(io[0][0]).strftime('%T'), 'to', datetime.datetime.fromtimestamp(io[-1][0]).strftime('%T'))
