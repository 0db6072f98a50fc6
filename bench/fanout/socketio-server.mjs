// Fan-out peer: a socket.io server on the websocket transport only. A client joins a
// room with `join` (acknowledged); a `pub` event is broadcast to the room with
// `io.to(room).emit("msg", data)`.
// usage: node socketio-server.mjs PORT
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const port = Number(process.argv[2] ?? 0);
const http = createServer();
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false });

io.on('connection', (socket) => {
  socket.on('join', (room, ack) => {
    socket.join(String(room));
    if (typeof ack === 'function') ack();
  });
  socket.on('pub', (data) => {
    io.to('bench').emit('msg', data);
  });
});

http.listen(port, '127.0.0.1', () => {
  process.stderr.write(`listening on 127.0.0.1:${http.address().port}\n`);
});
