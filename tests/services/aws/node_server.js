// node_server.js - starts one of the npm servers the tests use, on
// 127.0.0.1 and a free port, and writes that port to a file once it listens:
//
//   node node_server.js dynalite --port-file F [--access-key K]
//   node node_server.js s3rver --port-file F --directory D
//
// dynalite is DynamoDB in memory (tables become ACTIVE at once; with
// --access-key, requests signed with another key id are refused as
// DynamoDB refuses an unknown one, UnrecognizedClientException); s3rver is
// S3 with its objects in D, path-style only (http://127.0.0.1:PORT/BUCKET/KEY),
// accepting SigV4 requests signed with the key pair S3RVER / S3RVER (it
// checks the key id, not the signature), with the request ids and the
// default encryption (SSE-S3) S3 gives every answer and object (asS3Does).  The packages are the ones
// package.json pins, installed by `npm ci` in this folder.
'use strict';

const fs = require('fs');

// Reads --name VALUE pairs after the server's name.
function options(args) {
  const opts = {};
  for (let i = 0; i < args.length; i += 2) {
    if (!args[i].startsWith('--') || i + 1 >= args.length)
      usage();
    opts[args[i].slice(2)] = args[i + 1];
  }
  return opts;
}

function usage() {
  process.stderr.write('usage: node node_server.js dynalite --port-file F [--access-key K]\n' +
    '       node node_server.js s3rver --port-file F --directory D\n');
  process.exit(2);
}

// Writes the port where a reader never sees half of it, and says so.
function writePort(file, port) {
  fs.writeFileSync(file + '.tmp', String(port) + '\n');
  fs.renameSync(file + '.tmp', file);
  process.stdout.write(`${kind} listening on 127.0.0.1:${port} (node ${process.version})\n`);
}

// Makes the DynamoDB SERVER answer a request signed with another access key
// id than KEY as DynamoDB answers an unknown one (dynalite accepts any).
function onlyKey(server, key) {
  const crc32 = require('buffer-crc32');
  const crypto = require('crypto');
  const [dynaliteHandler] = server.listeners('request');
  server.removeAllListeners('request');
  server.on('request', (req, res) => {
    const m = /Credential=([^/,\s]+)/.exec(req.headers.authorization || '');
    if (!m || m[1] === key)
      return dynaliteHandler(req, res);
    const body = JSON.stringify({
      __type: 'com.amazon.coral.service#UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
    req.resume();
    res.writeHead(400, {
      'x-amzn-RequestId': crypto.randomUUID(),
      'x-amz-crc32': crc32.unsigned(body),
      'Content-Type': 'application/x-amz-json-1.0',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  });
}

// What S3 adds to s3rver's answers.  Every answer carries a request id and
// an extended one (x-amz-request-id, x-amz-id-2), which the SDKs put in an
// error's message.  S3 has encrypted every new object with SSE-S3 since
// January 2023 and says so (x-amz-server-side-encryption: AES256) when an
// object is written, copied or read, though not for an object's
// subresources (?tagging, ?acl, ...); s3rver predates that.
const OBJECT_SUBRESOURCES = ['acl', 'tagging', 'retention', 'legal-hold', 'torrent', 'attributes'];
async function asS3Does(ctx, next) {
  const crypto = require('crypto');
  ctx.set('x-amz-request-id', crypto.randomBytes(8).toString('hex').toUpperCase());
  ctx.set('x-amz-id-2', crypto.randomBytes(48).toString('base64'));
  await next();
  const parts = ctx.path.split('/').filter(Boolean);
  if (parts.length >= 2 && ['GET', 'HEAD', 'PUT'].includes(ctx.method) &&
      ctx.status >= 200 && ctx.status < 300 &&
      !OBJECT_SUBRESOURCES.some((q) => q in ctx.query))
    ctx.set('x-amz-server-side-encryption', 'AES256');
}

const kind = process.argv[2];
const opts = options(process.argv.slice(3));
if (!opts['port-file'])
  usage();

if (kind === 'dynalite') {
  const dynalite = require('dynalite');
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  if (opts['access-key'])
    onlyKey(server, opts['access-key']);
  server.listen(0, '127.0.0.1', () => writePort(opts['port-file'], server.address().port));
} else if (kind === 's3rver') {
  if (!opts.directory)
    usage();
  const S3rver = require('s3rver');
  fs.mkdirSync(opts.directory, { recursive: true });
  const s3 = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory: opts.directory,
    silent: true,
    vhostBuckets: false,
  });
  // Koa composes its middleware when the server starts: this one goes first.
  s3.middleware.unshift(asS3Does);
  s3.run().then(({ port }) => writePort(opts['port-file'], port), (err) => {
    process.stderr.write(`s3rver: ${err.stack || err}\n`);
    process.exit(1);
  });
} else {
  usage();
}

// The harness stops the server with SIGTERM.
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
