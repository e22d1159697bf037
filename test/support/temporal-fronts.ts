// Test-only fronts for the dev server, which has no TLS or auth flags of its own: a TLS (or mTLS)
// terminating proxy, and an HTTP/2 proxy that answers gRPC calls without the expected `authorization`
// header as a secured Temporal frontend does (grpc-status 16, UNAUTHENTICATED). Certificates come from
// openssl, made by the test: a CA, a server certificate for 127.0.0.1 and localhost, a client certificate.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

export interface Certificates {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A second CA that signed nothing here: a client trusting it must fail the handshake. */
  otherCaCert: string;
}

/** Makes the certificates with openssl in a fresh directory; paths to PEM files. */
export function makeCertificates(): Certificates {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-certs-'));
  const at = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ca = (name: string) =>
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`,
      '-keyout', `${name}.key`, '-out', `${name}.pem`); // prettier-ignore
  ca('ca');
  ca('other-ca');
  const leaf = (name: string, extensions: string) => {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`,
      '-out', `${name}.csr`); // prettier-ignore
    fs.writeFileSync(at(`${name}.ext`), extensions);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
      '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`); // prettier-ignore
  };
  leaf('server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    caCert: at('ca.pem'),
    serverCert: at('server.pem'),
    serverKey: at('server.key'),
    clientCert: at('client.pem'),
    clientKey: at('client.key'),
    otherCaCert: at('other-ca.pem'),
  };
}

export interface Front {
  /** host:port to give TEMPORAL_ADDRESS. */
  address: string;
  /** Connections refused: failed handshakes, or calls without the expected header. */
  refused(): number;
  close(): Promise<void>;
}

function hostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i), port: Number(address.slice(i + 1)) };
}

function listening(server: net.Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(server.address() as net.AddressInfo).port}`));
  });
}

function closing(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Terminates TLS (with `requireClientCert`, mTLS: a client certificate the CA signed), then pipes the bytes on. */
export async function startTlsFront(opts: {
  upstream: string;
  certs: Certificates;
  requireClientCert: boolean;
}): Promise<Front> {
  let refused = 0;
  const sockets = new Set<net.Socket>();
  const server = tls.createServer(
    {
      cert: fs.readFileSync(opts.certs.serverCert),
      key: fs.readFileSync(opts.certs.serverKey),
      ca: fs.readFileSync(opts.certs.caCert),
      requestCert: opts.requireClientCert,
      rejectUnauthorized: opts.requireClientCert,
      ALPNProtocols: ['h2'],
    },
    (client) => {
      const upstream = net.connect(hostPort(opts.upstream));
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    },
  );
  server.on('tlsClientError', () => refused++);
  const address = await listening(server);
  return { address, refused: () => refused, close: () => closing(server, sockets) };
}

/**
 * An HTTP/2 (h2c) proxy that forwards each gRPC call with its headers, body and trailers, unless its
 * `authorization` header is not `expected`: then it answers trailers-only with grpc-status 16.
 */
export async function startAuthFront(opts: { upstream: string; expected: string }): Promise<Front> {
  let refused = 0;
  const upstream = http2.connect(`http://${opts.upstream}`);
  upstream.on('error', () => undefined);
  const sockets = new Set<net.Socket>();
  const server = http2.createServer();
  server.on('connection', (s: net.Socket) => sockets.add(s));
  server.on('stream', (stream, headers) => {
    if (headers.authorization !== opts.expected) {
      refused++;
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': '16',
          'grpc-message': headers.authorization ? 'wrong authorization header' : 'missing authorization header',
        },
        { endStream: true },
      );
      return;
    }
    const forwarded = Object.fromEntries(
      Object.entries(headers).filter(([k]) => !k.startsWith(':') || k === ':method' || k === ':path'),
    );
    const call = upstream.request(forwarded);
    let trailers: http2.IncomingHttpHeaders = {};
    call.on('response', (responseHeaders) => {
      if (responseHeaders['grpc-status'] !== undefined) {
        stream.respond(responseHeaders, { endStream: true }); // trailers-only: an error
        return;
      }
      stream.respond(responseHeaders, { waitForTrailers: true });
      call.pipe(stream);
    });
    call.on('trailers', (t) => (trailers = t));
    stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    stream.pipe(call);
    stream.on('close', () => call.close());
    call.on('error', () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
    stream.on('error', () => call.close());
  });
  const address = await listening(server as unknown as net.Server);
  return {
    address,
    refused: () => refused,
    async close() {
      upstream.destroy();
      await closing(server as unknown as net.Server, sockets);
    },
  };
}
