package io.chatbuilder.sandbox.local;

import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.sandbox.CommandPolicy;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way out of a sandbox whose network is denied: an HTTP proxy on a unix socket in a
 * host directory the sandbox sees read-only. It accepts {@code CONNECT host:443} (or {@code :80})
 * and absolute-URI {@code http://} requests only for hosts the policy allows
 * ({@link CommandPolicy#hostAllowed}), and never connects to a loopback, link-local, private or
 * otherwise local address even if an allowed name resolves there (the host's database, the studio
 * API and other apps' previews live there). Everything else gets {@code 403} with the reason.
 *
 * <p>Inside the sandbox {@code socat} bridges {@code 127.0.0.1:<port>} to the socket, and commands
 * get {@code HTTPS_PROXY}/{@code HTTP_PROXY} (and npm's own proxy settings) pointing at it.
 */
final class EgressProxy implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(EgressProxy.class);
  private static final int MAX_HEAD_BYTES = 16 * 1024;
  private static final int MAX_CONNECTIONS = 64;
  private static final int CONNECT_TIMEOUT_MS = 15_000;

  private final CommandPolicy policy;
  private final Path socket;
  private final ServerSocketChannel server;
  private final Semaphore connections = new Semaphore(MAX_CONNECTIONS);
  private final Set<Closeable> open = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();

  private EgressProxy(CommandPolicy policy, Path socket, ServerSocketChannel server) {
    this.policy = policy;
    this.socket = socket;
    this.server = server;
  }

  /** Starts the proxy on {@code socket} (its directory must exist and be private to this JVM). */
  static EgressProxy start(CommandPolicy policy, Path socket, String name) {
    try {
      Files.deleteIfExists(socket);
      ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      server.bind(UnixDomainSocketAddress.of(socket));
      EgressProxy proxy = new EgressProxy(policy, socket, server);
      Thread accept = new Thread(proxy::acceptLoop, "chatbuilder-egress-" + name);
      accept.setDaemon(true);
      accept.start();
      return proxy;
    } catch (IOException e) {
      throw new SandboxException("cannot start the egress proxy on " + socket + ": " + e.getMessage(), e);
    }
  }

  Path socket() {
    return socket;
  }

  private void acceptLoop() {
    while (!closed.get()) {
      SocketChannel client;
      try {
        client = server.accept();
      } catch (IOException e) {
        if (!closed.get()) {
          log.warn("egress proxy on {} stopped accepting: {}", socket, e.toString());
        }
        return;
      }
      if (!connections.tryAcquire()) {
        respondQuietly(client, 503, "too many connections through the sandbox's egress proxy (at most " + MAX_CONNECTIONS + ")");
        continue;
      }
      Thread t = new Thread(() -> {
        try {
          handle(client);
        } finally {
          connections.release();
        }
      }, "chatbuilder-egress-conn");
      t.setDaemon(true);
      t.start();
    }
  }

  private void handle(SocketChannel client) {
    open.add(client);
    Socket upstream = null;
    try (client) {
      InputStream in = Pipes.in(client);
      OutputStream out = Pipes.out(client);
      byte[] head = readHead(in);
      if (head == null) {
        respond(out, 400, "the request head is incomplete or over " + MAX_HEAD_BYTES + " bytes");
        return;
      }
      String text = new String(head, StandardCharsets.ISO_8859_1);
      int lineEnd = text.indexOf("\r\n");
      String[] requestLine = text.substring(0, lineEnd).split(" ");
      if (requestLine.length != 3 || !requestLine[2].startsWith("HTTP/1.")) {
        respond(out, 400, "not an HTTP/1.x request line");
        return;
      }
      String method = requestLine[0];
      String target = requestLine[1];
      String host;
      int port;
      byte[] forward = null;
      if (method.equals("CONNECT")) {
        int colon = target.lastIndexOf(':');
        if (colon <= 0) {
          respond(out, 400, "CONNECT needs host:port");
          return;
        }
        host = unbracket(target.substring(0, colon));
        port = parsePort(target.substring(colon + 1));
      } else if (target.regionMatches(true, 0, "http://", 0, 7)) {
        String rest = target.substring(7);
        int slash = rest.indexOf('/');
        String authority = slash < 0 ? rest : rest.substring(0, slash);
        String path = slash < 0 ? "/" : rest.substring(slash);
        if (authority.contains("@")) {
          respond(out, 400, "credentials in the URL are not supported");
          return;
        }
        int colon = authority.lastIndexOf(':');
        if (colon > 0 && authority.indexOf(']') < colon) {
          host = unbracket(authority.substring(0, colon));
          port = parsePort(authority.substring(colon + 1));
        } else {
          host = unbracket(authority);
          port = 80;
        }
        forward = rewrite(method, path, requestLine[2], text.substring(lineEnd + 2));
      } else {
        respond(out, 405, "only CONNECT and absolute http:// requests go through the sandbox's egress proxy");
        return;
      }
      if (port != 443 && port != 80) {
        refuse(out, host, port, "port " + port + " is not allowed (only 443 and 80)");
        return;
      }
      if (host.isEmpty() || !policy.hostAllowed(host)) {
        refuse(out, host, port, host + " is not an allowed host (allowed: "
            + (policy.allowedHosts().isEmpty() ? "none" : String.join(", ", new TreeSet<>(policy.allowedHosts()))) + ")");
        return;
      }
      Optional<InetAddress> address = publicAddress(host);
      if (address.isEmpty()) {
        refuse(out, host, port, host + " does not resolve to a public address");
        return;
      }
      upstream = new Socket();
      open.add(upstream);
      try {
        upstream.connect(new InetSocketAddress(address.get(), port), CONNECT_TIMEOUT_MS);
      } catch (IOException e) {
        respond(out, 502, "cannot connect to " + host + ":" + port + ": " + e.getMessage());
        return;
      }
      log.debug("egress {} {}:{} ({})", method, host, port, address.get().getHostAddress());
      if (forward == null) {
        out.write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
      } else {
        upstream.getOutputStream().write(forward);
      }
      Socket up = upstream;
      Thread toUpstream = Pipes.start("chatbuilder-egress-up", in, up.getOutputStream(), () -> shutdownOutput(up));
      Pipes.copy(up.getInputStream(), out);
      client.shutdownOutput();
      Pipes.join(toUpstream, 30);
    } catch (IOException e) {
      // The client or the upstream went away: nothing to report to anyone.
    } finally {
      open.remove(client);
      if (upstream != null) {
        open.remove(upstream);
        try {
          upstream.close();
        } catch (IOException ignored) {
          // closing
        }
      }
    }
  }

  private static void shutdownOutput(Socket socket) {
    try {
      socket.shutdownOutput();
    } catch (IOException e) {
      // Already closed.
    }
  }

  /** The first address of {@code host} that is public; empty when all are local or private. */
  private Optional<InetAddress> publicAddress(String host) {
    try {
      for (InetAddress a : InetAddress.getAllByName(host)) {
        if (isPublic(a)) {
          return Optional.of(a);
        }
      }
    } catch (UnknownHostException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  /** Not loopback, link-local, private (RFC 1918, ULA), carrier-grade NAT, unspecified or multicast. */
  static boolean isPublic(InetAddress a) {
    if (a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress() || a.isAnyLocalAddress()
        || a.isMulticastAddress()) {
      return false;
    }
    byte[] b = a.getAddress();
    if (a instanceof Inet4Address) {
      int first = b[0] & 0xff;
      int second = b[1] & 0xff;
      return first != 0 && first != 127 && !(first == 100 && second >= 64 && second < 128) && first < 224
          && !(first == 192 && second == 0 && (b[2] & 0xff) == 0);
    }
    if (a instanceof Inet6Address) {
      if ((b[0] & 0xfe) == 0xfc) {
        return false; // unique local fc00::/7
      }
      boolean mapped = true;
      for (int i = 0; i < 10; i++) {
        mapped &= b[i] == 0;
      }
      if (mapped && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
        try {
          return isPublic(InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]}));
        } catch (UnknownHostException e) {
          return false;
        }
      }
    }
    return true;
  }

  private static String unbracket(String host) {
    String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    return h.toLowerCase(Locale.ROOT);
  }

  private static int parsePort(String s) {
    try {
      return Integer.parseInt(s);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Origin-form request line, proxy headers dropped; the rest of the head as it came. */
  private static byte[] rewrite(String method, String path, String version, String headers) {
    StringBuilder sb = new StringBuilder(method).append(' ').append(path).append(' ').append(version).append("\r\n");
    for (String line : headers.split("\r\n", -1)) {
      String lower = line.toLowerCase(Locale.ROOT);
      if (lower.startsWith("proxy-connection:") || lower.startsWith("proxy-authorization:")) {
        continue;
      }
      sb.append(line).append("\r\n");
    }
    // headers ended with the blank line; split(-1) keeps two trailing empties: trim to one blank line.
    String s = sb.toString();
    while (s.endsWith("\r\n\r\n\r\n")) {
      s = s.substring(0, s.length() - 2);
    }
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** Reads up to and including the blank line that ends the head, byte by byte (no read-ahead). */
  private static byte[] readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int state = 0;
    while (head.size() < MAX_HEAD_BYTES) {
      int c = in.read();
      if (c < 0) {
        return null;
      }
      head.write(c);
      state = switch (state) {
        case 0 -> c == '\r' ? 1 : 0;
        case 1 -> c == '\n' ? 2 : c == '\r' ? 1 : 0;
        case 2 -> c == '\r' ? 3 : 0;
        case 3 -> c == '\n' ? 4 : c == '\r' ? 1 : 0;
        default -> 0;
      };
      if (state == 4) {
        return head.toByteArray();
      }
    }
    return null;
  }

  private void refuse(OutputStream out, String host, int port, String reason) throws IOException {
    log.info("egress refused {}:{}: {}", host, port, reason);
    respond(out, 403, reason);
  }

  private static void respond(OutputStream out, int status, String reason) throws IOException {
    String phrase = switch (status) {
      case 400 -> "Bad Request";
      case 403 -> "Forbidden";
      case 405 -> "Method Not Allowed";
      case 502 -> "Bad Gateway";
      default -> "Service Unavailable";
    };
    byte[] body = ("chatbuilder sandbox egress proxy: " + reason + "\n").getBytes(StandardCharsets.UTF_8);
    out.write(("HTTP/1.1 " + status + " " + phrase + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "
        + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
    out.write(body);
    out.flush();
  }

  private static void respondQuietly(SocketChannel client, int status, String reason) {
    try (client) {
      respond(Pipes.out(client), status, reason);
    } catch (IOException e) {
      // gone
    }
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    Pipes.closeAll(server, open);
    try {
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      // The directory goes with the sandbox.
    }
  }
}
