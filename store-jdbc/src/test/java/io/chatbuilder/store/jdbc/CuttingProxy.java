package io.chatbuilder.store.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A TCP proxy between a data source and a database that can cut its connections: plain sockets, two
 * pump threads per connection. {@link #cutRandom} closes both sides of one live connection at once,
 * whatever the client is doing at that moment.
 */
final class CuttingProxy implements AutoCloseable {
  private final ServerSocket server;
  private final String targetHost;
  private final int targetPort;
  private final Set<Link> links = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /** One proxied connection: the client's socket and ours to the database. */
  record Link(Socket client, Socket upstream) {
    void cut() {
      closeQuietly(client);
      closeQuietly(upstream);
    }
  }

  CuttingProxy(String targetHost, int targetPort) throws IOException {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread accept = new Thread(this::acceptLoop, "cutting-proxy-accept");
    accept.setDaemon(true);
    accept.start();
  }

  int port() {
    return server.getLocalPort();
  }

  /** Cuts one live connection, if any; returns it. */
  Optional<Link> cutRandom() {
    Optional<Link> link = randomLink();
    link.ifPresent(l -> {
      links.remove(l);
      l.cut();
    });
    return link;
  }

  /** A live connection, if any, to be ended by the server (its upstream local port names it there). */
  Optional<Link> randomLink() {
    List<Link> live = new ArrayList<>(links);
    if (live.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(live.get(ThreadLocalRandom.current().nextInt(live.size())));
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return;
      }
      try {
        Socket upstream = new Socket();
        upstream.connect(new InetSocketAddress(targetHost, targetPort), 3000);
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
        Link link = new Link(client, upstream);
        links.add(link);
        pump(link, client, upstream);
        pump(link, upstream, client);
      } catch (IOException e) {
        closeQuietly(client);
      }
    }
  }

  private void pump(Link link, Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buffer = new byte[16 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // cut, or the other side closed
      } finally {
        links.remove(link);
        link.cut();
      }
    }, "cutting-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() {
    closed = true;
    closeQuietly(server);
    links.forEach(Link::cut);
    links.clear();
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception ignored) {
      // closing anyway
    }
  }
}
