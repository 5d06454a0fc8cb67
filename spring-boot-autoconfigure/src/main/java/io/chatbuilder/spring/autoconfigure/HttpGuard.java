package io.chatbuilder.spring.autoconfigure;

import io.chatbuilder.core.ErrorCode;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.springframework.core.Ordered;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The HTTP hardening in front of the API, before any controller (and before Spring Security):
 * <ul>
 *   <li>the {@code Host} header must name an allowed host (DNS rebinding points a foreign name at
 *       this server; the browser then sends that name);
 *   <li>the access token, when one is required (a non-loopback address without Spring Security);
 *   <li>a state-changing request must come from the API's own origin or an allowed one, and must be
 *       JSON: a {@code text/plain} or form POST, which a foreign page can send without a CORS
 *       preflight, is refused with 415;
 *   <li>security headers on every answer (nosniff, no framing, no referrer, a CSP that allows
 *       nothing: the API serves data, never pages).
 * </ul>
 * Refusals are JSON {@code {"code","message"}} like every other error of the API.
 */
final class HttpGuard extends OncePerRequestFilter implements Ordered {
  /** Before Spring Security's filter chain (order -100): a request for a foreign host goes no further. */
  static final int ORDER = Ordered.HIGHEST_PRECEDENCE + 100;

  private final String basePath;
  private final Set<String> allowedHosts;
  private final Set<String> allowedOrigins;
  private final Optional<String> accessToken;
  private final long maxRequestBytes;
  private final long maxChatRequestBytes;
  private final java.util.regex.Pattern chatPath;
  private final ApiJson json = new ApiJson();

  HttpGuard(String basePath, Set<String> allowedHosts, Set<String> allowedOrigins, Optional<String> accessToken,
      long maxRequestBytes, long maxChatRequestBytes) {
    this.basePath = Objects.requireNonNull(basePath, "basePath == null");
    this.allowedHosts = lower(allowedHosts);
    this.allowedOrigins = lower(allowedOrigins);
    this.accessToken = Objects.requireNonNull(accessToken, "accessToken == null");
    this.maxRequestBytes = maxRequestBytes;
    this.maxChatRequestBytes = maxChatRequestBytes;
    this.chatPath = java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(basePath) + "/apps/[^/]+/builder/chat/stream");
  }

  /** The hosts always allowed, plus the configured ones and the address the server listens on. */
  static Set<String> hosts(List<String> configured, Optional<String> serverAddress) {
    Set<String> out = new HashSet<>(List.of("localhost", "127.0.0.1", "[::1]"));
    for (String h : configured) {
      out.add(h.strip());
    }
    serverAddress.filter(a -> !a.isBlank() && !a.equals("0.0.0.0") && !a.equals("::"))
        .ifPresent(a -> out.add(a.contains(":") && !a.startsWith("[") ? "[" + a + "]" : a));
    return out;
  }

  Optional<String> accessToken() {
    return accessToken;
  }

  @Override
  public int getOrder() {
    return ORDER;
  }

  @Override
  protected boolean shouldNotFilter(HttpServletRequest request) {
    return !underBasePath(request, basePath);
  }

  /** Whether the request is for the API: its base path or below, a host's own controllers there too. */
  static boolean underBasePath(HttpServletRequest request, String basePath) {
    String path = request.getRequestURI().substring(request.getContextPath().length());
    return path.equals(basePath) || path.startsWith(basePath + "/");
  }

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    response.setHeader("X-Content-Type-Options", "nosniff");
    response.setHeader("X-Frame-Options", "DENY");
    response.setHeader("Referrer-Policy", "no-referrer");
    response.setHeader("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    response.setHeader("Cross-Origin-Resource-Policy", "same-origin");

    String hostHeader = request.getHeader("Host");
    Optional<String> host = hostName(hostHeader);
    if (host.isEmpty() || !allowedHosts.contains(host.get())) {
      refuse(response, ErrorCode.UNAUTHORIZED.httpStatus(), ErrorCode.UNAUTHORIZED.wireName(),
          "host '" + hostHeader + "' is not allowed; add it to chatbuilder.http.allowed-hosts");
      return;
    }
    if (accessToken.isPresent() && !tokenMatches(request, accessToken.get())) {
      refuse(response, ErrorCode.UNAUTHENTICATED.httpStatus(), ErrorCode.UNAUTHENTICATED.wireName(),
          "this API needs its access token (printed at start): 'Authorization: Bearer <token>' or '?token=<token>'");
      return;
    }
    if (!isSafe(request.getMethod())) {
      String origin = request.getHeader("Origin");
      if (origin != null) {
        String own = request.getScheme() + "://" + hostHeader;
        String o = origin.strip().toLowerCase(Locale.ROOT);
        if (!o.equals(own.toLowerCase(Locale.ROOT)) && !allowedOrigins.contains(o)) {
          refuse(response, ErrorCode.UNAUTHORIZED.httpStatus(), ErrorCode.UNAUTHORIZED.wireName(),
              "origin '" + origin + "' may not change state here; add it to chatbuilder.http.allowed-origins");
          return;
        }
      } else {
        // No Origin: a non-browser client, or an old browser; Fetch Metadata still tells a cross-site one.
        String site = request.getHeader("Sec-Fetch-Site");
        if (site != null && !site.equalsIgnoreCase("same-origin") && !site.equalsIgnoreCase("none")) {
          refuse(response, ErrorCode.UNAUTHORIZED.httpStatus(), ErrorCode.UNAUTHORIZED.wireName(),
              "a " + site + " request may not change state here");
          return;
        }
      }
      // A DELETE (the MCP client ending its session) has no body, and no foreign page can send one
      // without a CORS preflight this API never answers; POST, PUT and PATCH must be JSON.
      if (!request.getMethod().equals("DELETE") && !isJson(request.getContentType())) {
        refuse(response, 415, ApiErrors.UNSUPPORTED_MEDIA_TYPE,
            "state-changing requests must be 'Content-Type: application/json', not '" + request.getContentType() + "'");
        return;
      }
      // A chat request may carry images (attachments); every other body is small.
      long max = isChat(request) ? maxChatRequestBytes : maxRequestBytes;
      if (request.getContentLengthLong() > max) {
        refuse(response, ErrorCode.TOO_LARGE.httpStatus(), ErrorCode.TOO_LARGE.wireName(),
            "request body is larger than " + max + " bytes");
        return;
      }
    }
    chain.doFilter(request, response);
  }

  private boolean isChat(HttpServletRequest request) {
    return chatPath.matcher(request.getRequestURI().substring(request.getContextPath().length())).matches();
  }

  private static boolean isSafe(String method) {
    return method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS");
  }

  static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    String type = contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
    return type.equals("application/json") || (type.startsWith("application/") && type.endsWith("+json"));
  }

  /** The host part of a Host header, lower case: {@code name}, {@code 1.2.3.4} or {@code [::1]}. */
  static Optional<String> hostName(String hostHeader) {
    if (hostHeader == null || hostHeader.isBlank()) {
      return Optional.empty();
    }
    String h = hostHeader.strip().toLowerCase(Locale.ROOT);
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      if (end < 0) {
        return Optional.empty();
      }
      String rest = h.substring(end + 1);
      return rest.isEmpty() || rest.matches(":[0-9]{1,5}") ? Optional.of(h.substring(0, end + 1)) : Optional.empty();
    }
    int colon = h.indexOf(':');
    if (colon >= 0) {
      if (!h.substring(colon).matches(":[0-9]{1,5}")) {
        return Optional.empty();
      }
      h = h.substring(0, colon);
    }
    return h.isEmpty() ? Optional.empty() : Optional.of(h);
  }

  private static boolean tokenMatches(HttpServletRequest request, String expected) {
    String given = null;
    String auth = request.getHeader("Authorization");
    if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
      given = auth.substring(7).strip();
    } else if (request.getParameter("token") != null) {
      given = request.getParameter("token");
    }
    return given != null && MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8),
        expected.getBytes(StandardCharsets.UTF_8));
  }

  private void refuse(HttpServletResponse response, int status, String code, String message) throws IOException {
    response.setStatus(status);
    response.setContentType("application/json;charset=UTF-8");
    response.setHeader("Cache-Control", "no-store");
    response.getOutputStream().write(json.error(code, message).getBytes(StandardCharsets.UTF_8));
  }

  private static Set<String> lower(Set<String> in) {
    Set<String> out = new HashSet<>();
    in.forEach(s -> out.add(s.strip().toLowerCase(Locale.ROOT)));
    return Set.copyOf(out);
  }
}
