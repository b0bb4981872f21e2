// A pod's server for the proxy tests: answers every HTTP request and UDP datagram on PORT with
// "NAME CLIENT-ADDRESS", so a test sees which backend answered and whether the client was
// masqueraded. Prints "ready" once both sockets listen. Usage: node testkit-server.mjs NAME PORT
import dgram from 'node:dgram';
import http from 'node:http';

const [name, port] = process.argv.slice(2);
const udp = dgram.createSocket('udp4');
udp.on('message', (_msg, from) => udp.send(`${name} ${from.address}`, from.port, from.address));
const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'text/plain');
  res.end(`${name} ${req.socket.remoteAddress}`);
});
let listening = 0;
const ready = () => { if (++listening === 2) process.stdout.write('ready\n'); };
udp.bind(Number(port), ready);
server.listen(Number(port), '0.0.0.0', ready);
