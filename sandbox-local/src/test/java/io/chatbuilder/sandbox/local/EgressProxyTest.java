package io.chatbuilder.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.sandbox.CommandPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The host side of the egress hole, spoken to directly over its unix socket: only the policy's
 * hosts on 443/80, never a local or private address, a clear 403 for everything else.
 */
class EgressProxyTest {
  @TempDir Path dir;
  private EgressProxy proxy;

  private EgressProxy start(CommandPolicy policy) {
    proxy = EgressProxy.start(policy, dir.resolve("proxy.sock"), "test");
    return proxy;
  }

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
  }

  /** Sends {@code head} and returns the first response's head and body (up to 4 KiB). */
  private static String exchange(EgressProxy proxy, String head) throws IOException {
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(UnixDomainSocketAddress.of(proxy.socket()));
      Pipes.out(channel).write(head.getBytes(StandardCharsets.ISO_8859_1));
      InputStream in = Pipes.in(channel);
      StringBuilder sb = new StringBuilder();
      byte[] buffer = new byte[4096];
      int n;
      while (sb.length() < 4096 && (n = in.read(buffer)) > 0) {
        sb.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
        // A tunnel stays open after its 200: the head is all we want.
        if (sb.toString().startsWith("HTTP/1.1 200") && sb.indexOf("\r\n\r\n") > 0) {
          break;
        }
      }
      return sb.toString();
    }
  }

  @Test
  void anAllowedHostGetsATunnel() throws IOException {
    String answer = exchange(start(CommandPolicy.defaults()), "CONNECT registry.npmjs.org:443 HTTP/1.1\r\nHost: registry.npmjs.org:443\r\n\r\n");
    assertThat(answer).startsWith("HTTP/1.1 200 Connection established");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "CONNECT example.com:443 HTTP/1.1\r\n\r\n",
      "CONNECT 127.0.0.1:443 HTTP/1.1\r\n\r\n",
      "CONNECT [::1]:443 HTTP/1.1\r\n\r\n",
      "CONNECT registry.npmjs.org.evil.com:443 HTTP/1.1\r\n\r\n",
      "CONNECT evilregistry.npmjs.org:443 HTTP/1.1\r\n\r\n",
      "CONNECT registry.npmjs.org:22 HTTP/1.1\r\n\r\n",
      "CONNECT registry.npmjs.org:5432 HTTP/1.1\r\n\r\n",
      "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n",
      "GET http://169.254.169.254/latest/meta-data/ HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n",
      "GET http://registry.npmjs.org:8080/ HTTP/1.1\r\nHost: registry.npmjs.org\r\n\r\n"})
  void everythingElseIsRefusedWithAReason(String request) throws IOException {
    String answer = exchange(start(CommandPolicy.defaults()), request);
    assertThat(answer).startsWith("HTTP/1.1 403 Forbidden").contains("chatbuilder sandbox egress proxy: ")
        .containsAnyOf("is not an allowed host", "is not allowed (only 443 and 80)");
  }

  @Test
  void anAllowedNameThatResolvesToTheHostIsRefused() throws IOException {
    // What a DNS answer pointing an allowed name at the host's database or studio would do.
    EgressProxy p = start(CommandPolicy.builder().allowHosts("localhost", "127.0.0.1").build());
    for (String target : new String[] {"localhost:443", "127.0.0.1:443", "localhost:80"}) {
      String answer = exchange(p, "CONNECT " + target + " HTTP/1.1\r\n\r\n");
      assertThat(answer).as(target).startsWith("HTTP/1.1 403").contains("does not resolve to a public address");
    }
    assertThat(exchange(p, "GET http://localhost/ HTTP/1.1\r\nHost: localhost\r\n\r\n")).startsWith("HTTP/1.1 403");
  }

  @Test
  void withNoAllowedHostsNothingGoesOut() throws IOException {
    String answer = exchange(start(CommandPolicy.builder().denyAllHosts().build()), "CONNECT registry.npmjs.org:443 HTTP/1.1\r\n\r\n");
    assertThat(answer).startsWith("HTTP/1.1 403").contains("allowed: none");
  }

  @Test
  void malformedRequestsAreRejected() throws IOException {
    EgressProxy p = start(CommandPolicy.defaults());
    assertThat(exchange(p, "HELLO\r\n\r\n")).startsWith("HTTP/1.1 400");
    assertThat(exchange(p, "GET / HTTP/1.1\r\nHost: registry.npmjs.org\r\n\r\n")).startsWith("HTTP/1.1 405");
    assertThat(exchange(p, "CONNECT registry.npmjs.org HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 400");
    assertThat(exchange(p, "GET http://user@registry.npmjs.org/ HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 400");
  }

  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.1", "127.1.2.3", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
      "0.0.0.0", "224.0.0.1", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "::ffff:127.0.0.1", "::ffff:10.1.2.3"})
  void localAndPrivateAddressesAreNotPublic(String address) throws IOException {
    assertThat(EgressProxy.isPublic(InetAddress.getByName(address))).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"104.16.1.35", "8.8.8.8", "203.0.113.80", "2606:4700::6810:123", "::ffff:104.16.1.35"})
  void publicAddressesArePublic(String address) throws IOException {
    assertThat(EgressProxy.isPublic(InetAddress.getByName(address))).isTrue();
  }
}
