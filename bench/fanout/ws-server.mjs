// Fan-out peer: a Node `ws` server that broadcasts every message to every other
// connected client by looping over `wss.clients`, as the ws README shows.
// usage: node ws-server.mjs PORT
import { WebSocketServer, WebSocket } from 'ws';

const port = Number(process.argv[2] ?? 0);
const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false });

wss.on('connection', (ws) => {
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => {
    wss.clients.forEach((client) => {
      if (client !== ws && client.readyState === WebSocket.OPEN) {
        client.send(data, { binary: isBinary });
      }
    });
  });
});

wss.on('listening', () => {
  process.stderr.write(`listening on 127.0.0.1:${wss.address().port}\n`);
});
