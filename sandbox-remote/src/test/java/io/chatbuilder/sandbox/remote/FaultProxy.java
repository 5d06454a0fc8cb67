package io.chatbuilder.sandbox.remote;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on 127.0.0.1 between client and server that injects real network faults: it can
 * refuse the next connections, swallow the next response (after the server applied the request),
 * or cut a response in the middle right after a marker appears.
 */
final class FaultProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final int upstreamPort;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  final AtomicInteger refuseConnections = new AtomicInteger();
  final AtomicInteger swallowResponses = new AtomicInteger();
  final AtomicInteger refused = new AtomicInteger();
  final AtomicInteger swallowed = new AtomicInteger();
  final AtomicInteger cuts = new AtomicInteger();
  private volatile String cutMarker;

  FaultProxy(int upstreamPort) throws IOException {
    this.upstreamPort = upstreamPort;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread accept = new Thread(this::acceptLoop, "fault-proxy-accept");
    accept.setDaemon(true);
    accept.start();
  }

  String url() {
    return "http://127.0.0.1:" + listener.getLocalPort();
  }

  /** Cuts the response stream in the middle of the first occurrence of {@code marker}. */
  void cutResponseAt(String marker) {
    cutMarker = marker;
  }

  private void acceptLoop() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        if (refuseConnections.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
          refused.incrementAndGet();
          client.close();
          continue;
        }
        Socket server = new Socket(InetAddress.getLoopbackAddress(), upstreamPort);
        sockets.add(client);
        sockets.add(server);
        pump(client.getInputStream(), server.getOutputStream(), client, server, false);
        pump(server.getInputStream(), client.getOutputStream(), client, server, true);
      } catch (IOException e) {
        // listener closed or upstream down: the client sees a dropped connection
      }
    }
  }

  private void pump(InputStream in, OutputStream out, Socket client, Socket server, boolean response) {
    Thread t = new Thread(() -> {
      byte[] buffer = new byte[16 * 1024];
      try {
        for (int n; (n = in.read(buffer)) > 0; ) {
          if (response && swallowResponses.getAndUpdate(x -> Math.max(0, x - 1)) > 0) {
            swallowed.incrementAndGet();
            break;
          }
          String marker = cutMarker;
          if (response && marker != null) {
            String chunk = new String(buffer, 0, n, StandardCharsets.ISO_8859_1);
            int at = chunk.indexOf(marker);
            if (at >= 0) {
              cutMarker = null;
              out.write(buffer, 0, at + marker.length() / 2);
              out.flush();
              cuts.incrementAndGet();
              break;
            }
          }
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // one side closed
      } finally {
        closeQuietly(client);
        closeQuietly(server);
      }
    }, "fault-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // already closed
    }
    sockets.remove(s);
  }

  @Override
  public void close() throws IOException {
    listener.close();
    sockets.forEach(this::closeQuietly);
  }
}
