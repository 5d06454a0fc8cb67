package io.chatbuilder.sandbox.kubernetes;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP forwarder on a fixed port of the pod to the draft's dev server, which listens on the pod's
 * loopback on a port chosen when it starts: HTTP and the HMR WebSocket pass through unchanged.
 * Each connection asks {@code target} for the current port; without a running draft it is closed.
 * At most {@code maxConnections} at once (further ones wait in the accept backlog).
 */
final class PreviewForwarder implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PreviewForwarder.class);

  private final ServerSocket server;
  private final Supplier<Optional<Integer>> target;
  private final ExecutorService threads;
  private final Semaphore slots;
  private final Thread acceptor;

  PreviewForwarder(InetSocketAddress bind, Supplier<Optional<Integer>> target, int maxConnections) {
    this.target = target;
    this.slots = new Semaphore(maxConnections);
    try {
      this.server = new ServerSocket();
      server.setReuseAddress(true);
      server.bind(bind, 64);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind the preview forwarder on " + bind + ": " + e.getMessage(), e);
    }
    this.threads = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "preview-forwarder");
      t.setDaemon(true);
      return t;
    });
    this.acceptor = new Thread(this::acceptLoop, "preview-forwarder-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return server.getLocalPort();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        slots.acquire();
        Socket client;
        try {
          client = server.accept();
        } catch (IOException e) {
          slots.release();
          throw e;
        }
        threads.execute(() -> serve(client));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (SocketException e) {
        return; // closed
      } catch (IOException e) {
        LOG.warn("preview forwarder: accept failed: {}", e.toString());
      }
    }
  }

  private void serve(Socket client) {
    try (client) {
      Optional<Integer> port = target.get();
      if (port.isEmpty()) {
        return; // no draft running: nothing to forward to
      }
      try (Socket upstream = new Socket()) {
        upstream.connect(new InetSocketAddress("127.0.0.1", port.get()), 5_000);
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
        Thread back = new Thread(() -> pipe(upstream, client), "preview-forwarder-back");
        back.setDaemon(true);
        back.start();
        pipe(client, upstream);
        back.join();
      }
    } catch (IOException e) {
      LOG.debug("preview forwarder: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.warn("preview forwarder: {}", e.toString());
    } finally {
      slots.release();
    }
  }

  /** Copies until end of stream, then half-closes the other side's output. */
  private static void pipe(Socket from, Socket to) {
    byte[] buffer = new byte[16 * 1024];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      int n;
      while ((n = in.read(buffer)) >= 0) {
        out.write(buffer, 0, n);
        out.flush();
      }
      to.shutdownOutput();
    } catch (IOException e) {
      try {
        to.close();
        from.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    acceptor.interrupt();
    threads.shutdownNow();
  }
}
