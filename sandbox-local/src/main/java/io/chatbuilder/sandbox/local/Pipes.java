package io.chatbuilder.sandbox.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * Byte pipes for the bridges (egress proxy, service forwarder). Streams over a {@link SocketChannel}
 * are made here rather than with {@code Channels.newInputStream}: those hold the channel's blocking
 * lock while a read waits, so a write in the other direction would wait too.
 */
final class Pipes {
  private Pipes() {}

  static InputStream in(SocketChannel channel) {
    return new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
          return 0;
        }
        int n;
        do {
          n = channel.read(ByteBuffer.wrap(b, off, len));
        } while (n == 0);
        return n;
      }
    };
  }

  static OutputStream out(SocketChannel channel) {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
      }
    };
  }

  /** Copies until end of stream or an error; returns normally either way. */
  static void copy(InputStream in, OutputStream out) {
    byte[] buffer = new byte[16 * 1024];
    try {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        out.write(buffer, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // One side closed: the pipe ends.
    }
  }

  /** Copies on a new daemon thread, then runs {@code atEnd} (usually a half-close of the target). */
  static Thread start(String name, InputStream in, OutputStream out, Runnable atEnd) {
    Thread t = new Thread(() -> {
      copy(in, out);
      atEnd.run();
    }, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** Waits at most {@code seconds} (0: until it ends) for the other direction; the caller then closes both sides. */
  static void join(Thread t, long seconds) {
    try {
      t.join(TimeUnit.SECONDS.toMillis(seconds));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Closes a listening channel and every connection still open on it, ignoring close failures. */
  static void closeAll(java.io.Closeable server, java.util.Collection<? extends java.io.Closeable> open) {
    try {
      server.close();
    } catch (IOException e) {
      // closing
    }
    for (java.io.Closeable c : java.util.List.copyOf(open)) {
      try {
        c.close();
      } catch (IOException e) {
        // closing
      }
    }
  }
}
