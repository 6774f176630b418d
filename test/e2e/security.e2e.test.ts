/**
 * Security check under a real cluster (docs/architecture.md §8.8): while node 2 joins,
 * nothing of the SST listens anywhere but on the joiner's TLS port, and what
 * crosses that port is TLS from the first byte: no `@RSYNCD:` greeting, no
 * file name, no row of the datadir in clear. The wire is watched by tcpdump on
 * `lo` and the capture is decoded here, so the check depends on no dissector.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { MODULE } from '../../src/rsync/modules';
import { listenersOf } from '../helpers/procs';
import type { ClusterNode } from './cluster';
import { assertReplicates, assertSameData, bootstrap, destroyCluster, sstLines } from './harness';

afterEach(() => destroyCluster());

const TCPDUMP = '/usr/bin/tcpdump';
const MARIADBD = '/usr/sbin/mariadbd';
const SAMPLE_MS = 20;
/** Rows added to shop.orders on top of loadData's 120 000, so the copy lasts long enough to be sampled. */
const EXTRA_ROWS = 180_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------
// A minimal reader of classic libpcap files, enough for TCP over IPv4/IPv6 on lo.

interface Segment {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq: number;
  syn: boolean;
  ack: boolean;
  payload: Buffer;
}

/** Where the IP packet starts in a frame of this link type, and which IP version it is (undefined: not IP). */
function ipStart(linkType: number, frame: Buffer): { offset: number; version: 4 | 6 } | undefined {
  const byEtherType = (t: number, offset: number): { offset: number; version: 4 | 6 } | undefined =>
    t === 0x0800 ? { offset, version: 4 } : t === 0x86dd ? { offset, version: 6 } : undefined;
  switch (linkType) {
    case 1: // DLT_EN10MB: lo on Linux shows a zeroed 14-byte Ethernet header.
      return frame.length >= 14 ? byEtherType(frame.readUInt16BE(12), 14) : undefined;
    case 113: // LINUX_SLL ("any"): 16 bytes, protocol last.
      return frame.length >= 16 ? byEtherType(frame.readUInt16BE(14), 16) : undefined;
    case 276: // LINUX_SLL2: 20 bytes, protocol first.
      return frame.length >= 20 ? byEtherType(frame.readUInt16BE(0), 20) : undefined;
    case 0: {
      // DLT_NULL: a 4-byte address family in the capturing host's order (little endian here).
      if (frame.length < 4) return undefined;
      const family = frame.readUInt32LE(0);
      return family === 2
        ? { offset: 4, version: 4 }
        : [10, 24, 28, 30].includes(family)
          ? { offset: 4, version: 6 }
          : undefined;
    }
    case 12:
    case 101: {
      // Raw IP: the version nibble says which.
      const v = (frame[0] ?? 0) >> 4;
      return v === 4 || v === 6 ? { offset: 0, version: v } : undefined;
    }
    default:
      throw new Error(`pcap link type ${linkType} is not handled`);
  }
}

function ipv6Text(b: Buffer): string {
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(b.readUInt16BE(i).toString(16));
  return words.join(':');
}

/** Decodes every TCP segment of a pcap file; throws on what it cannot read rather than skip it silently. */
function readPcap(file: Buffer): { linkType: number; segments: Segment[] } {
  assert.ok(file.length >= 24, 'pcap shorter than its global header');
  const magicLE = file.readUInt32LE(0);
  // Microsecond (a1b2c3d4) or nanosecond (a1b23c4d) timestamps; either byte order.
  const littleEndian = magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d;
  const magicBE = file.readUInt32BE(0);
  assert.ok(
    littleEndian || magicBE === 0xa1b2c3d4 || magicBE === 0xa1b23c4d,
    `not a classic pcap file (magic ${magicLE.toString(16)})`,
  );
  const u32 = (o: number): number => (littleEndian ? file.readUInt32LE(o) : file.readUInt32BE(o));
  const linkType = u32(20) & 0xffff;
  const segments: Segment[] = [];
  for (let o = 24; o + 16 <= file.length; ) {
    const included = u32(o + 8);
    const frame = file.subarray(o + 16, o + 16 + included);
    o += 16 + included;
    const ip = ipStart(linkType, frame);
    if (!ip) continue;
    const p = frame.subarray(ip.offset);
    let tcp: Buffer;
    let src: string;
    let dst: string;
    if (ip.version === 4) {
      if (p.length < 20 || p[9] !== 6) continue;
      const ihl = (p[0]! & 0x0f) * 4;
      // A GSO super-packet above 64 KiB carries total length 0: then the frame's end is the packet's end.
      const total = p.readUInt16BE(2) || p.length;
      src = `${p[12]}.${p[13]}.${p[14]}.${p[15]}`;
      dst = `${p[16]}.${p[17]}.${p[18]}.${p[19]}`;
      tcp = p.subarray(ihl, Math.min(total, p.length));
    } else {
      // No extension headers on loopback TCP: the next header is TCP or the packet is not ours.
      if (p.length < 40 || p[6] !== 6) continue;
      const payloadLength = p.readUInt16BE(4) || p.length - 40;
      src = ipv6Text(p.subarray(8, 24));
      dst = ipv6Text(p.subarray(24, 40));
      tcp = p.subarray(40, Math.min(40 + payloadLength, p.length));
    }
    if (tcp.length < 20) continue;
    const dataOffset = (tcp[12]! >> 4) * 4;
    const flags = tcp[13]!;
    segments.push({
      src,
      dst,
      sport: tcp.readUInt16BE(0),
      dport: tcp.readUInt16BE(2),
      seq: tcp.readUInt32BE(4),
      syn: (flags & 0x02) !== 0,
      ack: (flags & 0x10) !== 0,
      payload: tcp.subarray(dataOffset),
    });
  }
  return { linkType, segments };
}

/**
 * One direction of a TCP connection, reassembled by sequence number: the capture ring is
 * filled from both CPUs, so segments can be recorded out of order, and lo may retransmit.
 */
class Stream {
  private base: number | undefined;
  private readonly parts: { at: number; data: Buffer }[] = [];

  add(s: Segment): void {
    // The first data byte follows the SYN; without a SYN in the capture, the first segment seen starts it.
    if (s.syn) this.base = (s.seq + 1) >>> 0;
    if (s.payload.length === 0) return;
    this.base ??= s.seq;
    this.parts.push({ at: (s.seq - this.base) >>> 0, data: s.payload });
  }

  /** The bytes in order, and how many are missing from the capture (kernel drops weaken the plaintext search). */
  assemble(): { bytes: Buffer; gaps: number } {
    const sorted = [...this.parts].sort((a, b) => a.at - b.at);
    const out: Buffer[] = [];
    let end = 0;
    let gaps = 0;
    for (const p of sorted) {
      if (p.at > end) gaps += p.at - end;
      const skip = Math.max(0, end - p.at); // Already have these bytes: keep only what is new.
      if (skip < p.data.length) {
        out.push(p.data.subarray(skip));
        end = p.at + p.data.length;
      }
    }
    return { bytes: Buffer.concat(out), gaps };
  }
}

interface Connection {
  client: string;
  toServer: Stream;
  toClient: Stream;
}

/** Groups segments into connections to `serverPort`; a new SYN on a reused 4-tuple opens a new connection. */
function connections(segments: Segment[], serverPort: number): Connection[] {
  const all: Connection[] = [];
  const current = new Map<string, Connection>();
  for (const s of segments) {
    const fromClient = s.dport === serverPort;
    if (!fromClient && s.sport !== serverPort) continue;
    const client = fromClient ? `${s.src}:${s.sport}` : `${s.dst}:${s.dport}`;
    const server = fromClient ? `${s.dst}:${s.dport}` : `${s.src}:${s.sport}`;
    const key = `${client}>${server}`;
    let c = current.get(key);
    if (!c || (fromClient && s.syn && !s.ack)) {
      c = { client, toServer: new Stream(), toClient: new Stream() };
      current.set(key, c);
      all.push(c);
    }
    (fromClient ? c.toServer : c.toClient).add(s);
  }
  return all;
}

/**
 * Walks a stream as back-to-back TLS records (type 20-23, version 3.x, length at most
 * 2^14 + 2048): returns how many, or where the framing breaks. A stream that is records
 * from its first byte to its last has no byte outside TLS, and proves the reassembly right.
 */
function tlsRecords(b: Buffer): { records: number; brokenAt?: number; truncated?: boolean } {
  let o = 0;
  let records = 0;
  while (o < b.length) {
    if (o + 5 > b.length) return { records, brokenAt: o };
    const type = b[o]!;
    const length = b.readUInt16BE(o + 3);
    if (type < 20 || type > 23 || b[o + 1] !== 3 || length > 16384 + 2048) return { records, brokenAt: o };
    o += 5 + length;
    records++;
  }
  // The last record runs past the end: its tail is missing from the capture.
  return o === b.length ? { records } : { records, truncated: true };
}

// ---------------------------------------------------------------------------
// tcpdump, started and ended by PID.

interface Capture {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<void>;
}

async function startCapture(file: string, port: number, tag: string): Promise<Capture> {
  // Full snap length (not 256): a 256-byte snap would hide any plaintext past each packet's
  // first bytes and make the "no table data in clear" search prove little. -B widens the
  // kernel buffer so a loaded 2-core machine drops fewer packets; -U writes each packet at once.
  const child = spawn(TCPDUMP, ['-i', 'lo', '-n', '-s', '0', '-B', '65536', '-w', file, `tcp port ${port}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
    // Tagged like everything else the test starts, so destroyCluster ends it even if this file's own cleanup does not
    // run.
    env: { ...process.env, SST_TEST_TAG: tag },
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 15_000;
  // Packets sent before libpcap has attached are lost: node 2 starts only once tcpdump says it listens.
  while (!/listening on lo/.test(err)) {
    if (gone) throw new Error(`tcpdump exited before listening: ${err}`);
    if (Date.now() > deadline) throw new Error(`tcpdump not listening within 15 s: ${err}`);
    await sleep(50);
  }
  return { child, stderr: () => err, exited };
}

/** SIGINT makes tcpdump flush the file and print its counters; SIGKILL only if it hangs. */
async function stopCapture(cap: Capture): Promise<void> {
  const pid = cap.child.pid;
  if (pid === undefined || cap.child.exitCode !== null || cap.child.signalCode !== null) return;
  process.kill(pid, 'SIGINT');
  const timer = setTimeout(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Exited in between.
    }
  }, 10_000);
  await cap.exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------

describe('security of the SST transport', { timeout: 900_000 }, () => {
  test(
    'during a full SST only the joiner TLS port listens, ' + 'and every connection to it is TLS from the first byte',
    async () => {
      const t0 = Date.now();
      // rlimit keeps the copy at a pace tcpdump captures whole on 2 busy cores: at full speed, with
      // the streams in parallel, the kernel dropped a fifth of the packets and the plaintext search
      // below could not see into those holes.
      const { c, nodes } = await bootstrap(
        'security',
        [
          { name: 'node1', ip: '127.0.2.10' },
          { name: 'node2', ip: '127.0.2.11' },
        ],
        (cl, ns) => {
          for (const n of ns) n.spec.sst = { tca: cl.pki.caCert, tcert: n.cert.bundle, rlimit: '40m' };
        },
      );
      const [n1, n2] = nodes as [ClusterNode, ClusterNode];
      // A bigger shop.orders so the transfer lasts seconds, long enough for many samples.
      c.sql(
        n1,
        `INSERT INTO shop.orders SELECT seq, seq % 977, REPEAT(SHA1(seq), 6) FROM ` +
          `shop.seq_120001_to_${120_000 + EXTRA_ROWS}`,
      );
      // Write customers' pages into their .ibd now, so the file rsync sends holds the row text
      // this test then looks for on the wire (otherwise it might sit only in the buffer pool).
      c.sql(n1, 'FLUSH TABLES shop.customers FOR EXPORT; UNLOCK TABLES');
      assert.ok(
        readFileSync(join(n1.datadir, 'shop', 'customers.ibd')).includes('customer-977'),
        'control: the donor file holds the row text',
      );

      const pcap = join(c.root, 'sst.pcap');
      const cap = await startCapture(pcap, n2.sstPort, c.tag);
      const seen = new Map<number, Set<string>>();
      let samples = 0;
      let preExecForks = 0;
      let sampling = true;
      let sampler: Promise<void> = Promise.resolve();
      let tcpdumpLog = '';
      const tJoin = Date.now();
      try {
        c.start(n2);
        const nodePids = new Set(c.nodes.map((n) => n.process?.pid));
        // The SST processes come and go between samples; waitSynced blocks the loop while
        // its mariadb client runs, so coverage is not total, hence "seen at least once" below.
        sampler = (async () => {
          while (sampling) {
            samples++;
            for (const l of listenersOf(c.tag)) {
              if (nodePids.has(l.pid)) continue; // mariadbd's own client, Galera and IST ports.
              // mariadbd forking the SST program: until exec the child is still mariadbd with its sockets.
              if (l.exe === MARIADBD) {
                preExecForks++;
                continue;
              }
              const who = seen.get(l.port) ?? new Set<string>();
              who.add(`${l.pid} ${l.cmdline.slice(0, 100)}`);
              seen.set(l.port, who);
            }
            await sleep(SAMPLE_MS);
          }
        })();
        await c.waitSynced(n2);
      } finally {
        sampling = false;
        await sampler;
        await stopCapture(cap);
        tcpdumpLog = cap.stderr();
      }
      const joinSeconds = (Date.now() - tJoin) / 1000;

      // 1. Listening sockets.
      const ports = [...seen.keys()].sort((a, b) => a - b);
      const seenText = [...seen].map(([p, who]) => `${p}: ${[...who].join(' | ')}`).join('\n');
      assert.deepEqual(
        ports,
        [n2.sstPort],
        `SST processes must listen on the joiner's SST port only; seen:\n${seenText}`,
      );

      // 2. The capture.
      const { linkType, segments } = readPcap(readFileSync(pcap));
      const conns = connections(segments, n2.sstPort);
      const streams = conns.map((k) => ({ client: k.client, up: k.toServer.assemble(), down: k.toClient.assemble() }));
      const withData = streams.filter((k) => k.up.bytes.length > 0);
      assert.ok(
        withData.length > 0,
        `no connection with data to port ${n2.sstPort} captured (${segments.length} segments)\n${tcpdumpLog}`,
      );
      const needles = [
        'customer-977', // a row of shop.customers
        'orders.ibd', // a file name rsync's file list would carry
        createHash('sha1').update('1').digest('hex'), // SHA1(1), in shop.orders.note
        '@RSYNCD', // the rsync daemon greeting, both directions
        MODULE, // the rsync module name the donor asks for
      ];
      const dropped = Number(/(\d+) packets dropped by kernel/.exec(tcpdumpLog)?.[1] ?? 0);
      const firstBytes: string[] = [];
      let bytesOnWire = 0;
      let gaps = 0;
      let records = 0;
      for (const k of streams) {
        const up = k.up.bytes;
        const down = k.down.bytes;
        bytesOnWire += up.length + down.length;
        gaps += k.up.gaps + k.down.gaps;
        if (up.length === 0) continue; // A bare connect (a port probe) carries nothing to judge.
        firstBytes.push(`${k.client} ${up.subarray(0, 5).toString('hex')} / ${down.subarray(0, 5).toString('hex')}`);
        // A TLS record: type 22 (handshake), version major 3. The rsync daemon would start "@RSYNCD: ".
        assert.deepEqual(
          [...up.subarray(0, 2)],
          [0x16, 0x03],
          `client ${k.client} did not start with a TLS handshake record: ${up.subarray(0, 16).toString('hex')}`,
        );
        assert.equal(up.subarray(0, 7).toString('latin1') === '@RSYNCD', false);
        // The rsync daemon speaks first too: the server side must be TLS as well.
        if (down.length > 0)
          assert.deepEqual(
            [...down.subarray(0, 2)],
            [0x16, 0x03],
            `server answer to ${k.client} is not TLS: ${down.subarray(0, 16).toString('hex')}`,
          );
        // Every byte of a stream the capture holds whole must belong to a TLS record.
        for (const [dir, part] of [
          ['to joiner', k.up],
          ['to donor', k.down],
        ] as const) {
          if (part.gaps > 0) continue;
          const t = tlsRecords(part.bytes);
          // Packets dropped at a stream's very end leave no gap, only a cut last record: tolerated then.
          assert.ok(!t.truncated || dropped > 0, `${k.client} ${dir}: last TLS record cut short without drops`);
          assert.equal(
            t.brokenAt,
            undefined,
            `${k.client} ${dir}: not TLS from byte ${t.brokenAt} of ${part.bytes.length}`,
          );
          records += t.records;
        }
        for (const n of needles) {
          for (const [dir, data] of [
            ['to joiner', up],
            ['to donor', down],
          ] as const) {
            assert.equal(data.indexOf(n), -1, `"${n}" in clear on the wire (${k.client}, ${dir})`);
          }
        }
      }

      // 3. The data did travel (so its absence in clear above means it was encrypted) and is whole.
      assert.ok(existsSync(join(n2.datadir, 'shop', 'orders.ibd')), 'orders.ibd reached the joiner');
      assert.ok(
        readFileSync(join(n2.datadir, 'shop', 'customers.ibd')).includes('customer-977'),
        'the row text reached the joiner',
      );
      // Kernel drops under load leave holes the plaintext search cannot see into: a few are tolerated, not many.
      assert.ok(gaps < bytesOnWire / 10, `${gaps} of ${bytesOnWire} bytes missing from the capture`);
      assert.ok(bytesOnWire > 10_000_000, `only ${bytesOnWire} bytes captured: the datadir did not cross this port`);
      assert.ok(
        sstLines(c, n2).some((l) => /SST completed/.test(l)),
        c.tail(n2),
      );
      assertSameData(c, n1, n2);
      assertReplicates(c, n2, n1);

      const counters = tcpdumpLog
        .split('\n')
        .filter((l) => /packets/.test(l))
        .join('; ');
      console.log(
        [
          `security: link type ${linkType}, ${segments.length} TCP segments, ${conns.length} connections ` +
            `(${withData.length} with data), ${(bytesOnWire / 1e6).toFixed(1)} MB in ${records} TLS records, ` +
            `${gaps} bytes missing from the capture`,
          `tcpdump: ${counters}`,
          `first bytes client / server:\n  ${firstBytes.join('\n  ')}`,
          `listening (${samples} samples, ${preExecForks} pre-exec mariadbd forks skipped):\n  ${seenText}`,
          `join ${joinSeconds.toFixed(1)} s, test ${((Date.now() - t0) / 1000).toFixed(1)} s`,
        ].join('\n'),
      );
    },
  );
});
