package io.chatbuilder.sandbox.local;

import io.chatbuilder.core.SandboxException;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's end of a service bridge: listens on {@code 127.0.0.1:<ephemeral>} and pipes every TCP
 * connection, both directions with correct half-close, to a unix socket in the sandbox's private
 * host directory, behind which {@code socat} (in the sandbox's network namespace) connects to the
 * service's port. A byte pipe, so keep-alive, streaming and WebSocket upgrades just work.
 */
final class ServiceForwarder implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(ServiceForwarder.class);

  private final ServerSocket server;
  private final Path target;
  private final Set<Closeable> open = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();

  private ServiceForwarder(ServerSocket server, Path target) {
    this.server = server;
    this.target = target;
  }

  static ServiceForwarder start(Path unixSocket, String name) {
    try {
      ServerSocket server = new ServerSocket();
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
      ServiceForwarder forwarder = new ServiceForwarder(server, unixSocket);
      Thread accept = new Thread(forwarder::acceptLoop, "chatbuilder-forward-" + name);
      accept.setDaemon(true);
      accept.start();
      return forwarder;
    } catch (IOException e) {
      throw new SandboxException("cannot open a loopback port for service " + name + ": " + e.getMessage(), e);
    }
  }

  int port() {
    return server.getLocalPort();
  }

  private void acceptLoop() {
    while (!closed.get()) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        if (!closed.get()) {
          log.warn("service forwarder for {} stopped accepting: {}", target, e.toString());
        }
        return;
      }
      Thread t = new Thread(() -> pipe(client), "chatbuilder-forward-conn");
      t.setDaemon(true);
      t.start();
    }
  }

  private void pipe(Socket client) {
    open.add(client);
    SocketChannel service = null;
    try (client) {
      client.setTcpNoDelay(true);
      try {
        service = SocketChannel.open(StandardProtocolFamily.UNIX);
        service.connect(UnixDomainSocketAddress.of(target));
      } catch (IOException e) {
        // The bridge is not up (service starting or gone): the client sees the connection close.
        return;
      }
      open.add(service);
      SocketChannel s = service;
      Thread up = Pipes.start("chatbuilder-forward-up", client.getInputStream(), Pipes.out(s), () -> {
        try {
          s.shutdownOutput();
        } catch (IOException e) {
          // closed
        }
      });
      Pipes.copy(Pipes.in(s), client.getOutputStream());
      try {
        client.shutdownOutput();
      } catch (IOException e) {
        // closed
      }
      // Long-lived upgraded connections end when both sides closed; wait for the client's side.
      Pipes.join(up, 0);
    } catch (IOException e) {
      // A side went away.
    } finally {
      open.remove(client);
      if (service != null) {
        open.remove(service);
        try {
          service.close();
        } catch (IOException e) {
          // closing
        }
      }
    }
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    Pipes.closeAll(server, open);
  }
}
