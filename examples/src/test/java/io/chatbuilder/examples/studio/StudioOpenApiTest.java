package io.chatbuilder.examples.studio;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.InputFormat;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.web.bind.annotation.GetMapping;

/**
 * The studio-only endpoints in the served {@code openapi.json} (the studio's {@code OpenApiAddition},
 * {@code studio-openapi.json}): every {@link StudioController} route under {@code /admin} is
 * documented there and nothing else is, and real answers validate against the documented schema,
 * as the starter's OpenApiTest does for the API's own routes.
 */
class StudioOpenApiTest {
  private static final String ADDITION = "classpath:io/chatbuilder/examples/studio/studio-openapi.json";
  private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

  @TempDir static Path data;
  private static Studio studio;
  private static HttpTestClient client;

  @BeforeAll
  static void start() {
    studio = Studio.builder(data).port(0).model(new DemoModel(Duration.ZERO)).start();
    client = new HttpTestClient(studio.url());
  }

  @AfterAll
  static void stop() {
    if (studio != null) {
      studio.close();
    }
  }

  @Test
  void everyStudioRouteUnderTheApiIsDocumentedAndNothingElse() {
    Set<String> mapped = new TreeSet<>();
    for (Method m : StudioController.class.getDeclaredMethods()) {
      GetMapping get = m.getAnnotation(GetMapping.class);
      if (get != null) {
        Arrays.stream(get.value()).filter(p -> p.startsWith("/admin/")).forEach(p -> mapped.add("get " + p.substring(6)));
      }
      assertThat(m.getAnnotation(org.springframework.web.bind.annotation.PostMapping.class)).as(m.getName()).isNull();
      assertThat(m.getAnnotation(org.springframework.web.bind.annotation.RequestMapping.class)).as(m.getName()).isNull();
    }
    JsonNode addition = readAddition();
    Set<String> documented = new TreeSet<>();
    addition.path("paths").fields().forEachRemaining(p -> p.getValue().fieldNames()
        .forEachRemaining(method -> documented.add(method + " " + p.getKey())));
    assertThat(mapped).isNotEmpty();
    assertThat(documented).isEqualTo(mapped);

    // The served document has them, beside the API's own paths and schemas.
    JsonNode served = client.call("GET", "/admin/openapi.json").json();
    addition.path("paths").fields().forEachRemaining(p -> assertThat(served.path("paths").get(p.getKey())).isEqualTo(p.getValue()));
    addition.path("components").path("schemas").fields().forEachRemaining(s ->
        assertThat(served.path("components").path("schemas").get(s.getKey())).isEqualTo(s.getValue()));
    assertThat(served.path("paths").has("/apps")).isTrue();
    assertThat(served.path("paths").has("/templates")).isTrue();
    assertThat(served.path("paths").has("/apps/{app_id}/builder/checkpoints/{checkpoint_id}/file")).isTrue();
  }

  @Test
  void theStudiosAnswersMatchTheDocumentedSchema() {
    HttpTestClient.Reply info = client.call("GET", "/admin/studio");
    assertThat(info.status()).isEqualTo(200);
    assertThat(SCHEMAS.getSchema(SchemaLocation.of(ADDITION + "#/components/schemas/StudioInfo"))
        .validate(info.text(), InputFormat.JSON)).as(info.text()).isEmpty();
    // The schema is strict: a field the contracts do not have is an error.
    String extra = info.text().replaceFirst("\\{", "{\"surprise\":1,");
    assertThat(SCHEMAS.getSchema(SchemaLocation.of(ADDITION + "#/components/schemas/StudioInfo"))
        .validate(extra, InputFormat.JSON)).isNotEmpty();
  }

  private static JsonNode readAddition() {
    try (var in = StudioOpenApiTest.class.getResourceAsStream("studio-openapi.json")) {
      return HttpTestClient.JSON.readTree(in);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
