package io.chatbuilder.examples.studio;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import okhttp3.Headers;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSource;

/** A small client of the studio's API for tests: JSON calls and Server-Sent Event streams. */
final class HttpTestClient {
  private static final MediaType JSON_TYPE = MediaType.get("application/json");
  static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final OkHttpClient http = new OkHttpClient.Builder()
      // As browsers do (RFC 6761): every *.localhost name is loopback, e.g. each app's site origin.
      .dns(host -> host.endsWith(".localhost") ? List.of(java.net.InetAddress.getLoopbackAddress())
          : okhttp3.Dns.SYSTEM.lookup(host))
      .retryOnConnectionFailure(false) // a retried POST would start a second run
      .readTimeout(Duration.ofSeconds(30))
      .build();

  HttpTestClient(URI base) {
    this.base = base;
  }

  record Reply(int status, String contentType, JsonNode json, String text, Headers headers) {}

  Reply call(String method, String path) {
    return call(method, path, null, Map.of());
  }

  Reply call(String method, String path, String body) {
    return call(method, path, body, Map.of());
  }

  Reply call(String method, String path, String body, Map<String, String> headers) {
    try (Response response = http.newCall(request(method, path, body, headers)).execute()) {
      String text = response.body().string();
      String type = Optional.ofNullable(response.header("Content-Type")).orElse("");
      JsonNode json = type.startsWith("application/json") ? JSON.readTree(text) : null;
      return new Reply(response.code(), type, json, text, response.headers());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Opens an event stream; the caller reads frames and closes it. */
  EventStream stream(String method, String path, String body, Map<String, String> headers) {
    try {
      return new EventStream(http.newCall(request(method, path, body, headers)).execute());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Request request(String method, String path, String body, Map<String, String> headers) {
    Request.Builder b = new Request.Builder().url(base.resolve(path).toString());
    headers.forEach(b::header);
    // A POST without a body is still declared JSON: the API refuses other state-changing requests with 415.
    RequestBody requestBody = body == null ? (method.equals("POST") ? RequestBody.create(new byte[0], JSON_TYPE) : null)
        : RequestBody.create(body, JSON_TYPE);
    return b.method(method, requestBody).build();
  }

  /** One SSE frame: {@code id}, {@code event}, {@code data}, and comment lines seen before it. */
  record Frame(long id, String event, String data, List<String> comments) {
    JsonNode json() {
      try {
        return JSON.readTree(data);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** Reads {@code text/event-stream} line by line, the way a browser's EventSource does. */
  static final class EventStream implements AutoCloseable {
    final Response response;
    private final BufferedSource source;
    final List<String> comments = new ArrayList<>();
    /** Called with each comment line as it is read. */
    java.util.function.Consumer<String> onComment = c -> { };

    EventStream(Response response) {
      this.response = response;
      this.source = response.body().source();
    }

    /** The next frame with data, or empty at the end of the stream. */
    Optional<Frame> next() {
      try {
        long id = -1;
        String event = "message";
        StringBuilder data = null;
        List<String> seen = new ArrayList<>();
        String line;
        while ((line = source.readUtf8Line()) != null) {
          if (line.isEmpty()) {
            if (data != null) {
              return Optional.of(new Frame(id, event, data.toString(), seen));
            }
            continue;
          }
          if (line.startsWith(":")) {
            seen.add(line);
            comments.add(line);
            onComment.accept(line);
            continue;
          }
          int colon = line.indexOf(':');
          String field = colon < 0 ? line : line.substring(0, colon);
          String value = colon < 0 ? "" : line.substring(colon + 1).replaceFirst("^ ", "");
          switch (field) {
            case "id" -> id = Long.parseLong(value);
            case "event" -> event = value;
            case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
            default -> { }
          }
        }
        return Optional.empty();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** Every remaining frame until the stream ends. */
    List<Frame> rest() {
      List<Frame> out = new ArrayList<>();
      for (Optional<Frame> f = next(); f.isPresent(); f = next()) {
        out.add(f.get());
      }
      return out;
    }

    @Override
    public void close() {
      response.close();
    }
  }
}
