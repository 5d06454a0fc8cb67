package io.chatbuilder.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;

/** A host's {@link OpenApiAddition}s in the served document: merged beside the API's, never over it. */
class OpenApiAdditionTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String ADDITION = """
      {"paths": {"/host/info": {"get": {"operationId": "hostInfo", "responses": {"200": {"description": "OK",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HostInfo"}}}}}}}},
       "components": {"schemas": {"HostInfo": {"type": "object", "properties": {"name": {"type": "string"}},
        "required": ["name"], "additionalProperties": false}}}}
      """;

  private static JsonNode served(ApiContractsController controller) throws Exception {
    return MAPPER.readTree(controller.openApi(new MockHttpServletRequest()).getBody());
  }

  @Test
  void additionsAreMergedBesideTheApisPathsAndSchemas() throws Exception {
    JsonNode plain = served(new ApiContractsController("/admin"));
    JsonNode merged = served(new ApiContractsController("/admin", List.of(new OpenApiAddition("host", ADDITION))));
    assertThat(merged.path("paths").path("/host/info").path("get").path("operationId").asText()).isEqualTo("hostInfo");
    assertThat(merged.path("components").path("schemas").has("HostInfo")).isTrue();
    assertThat(merged.path("paths").size()).isEqualTo(plain.path("paths").size() + 1);
    assertThat(merged.path("components").path("schemas").size()).isEqualTo(plain.path("components").path("schemas").size() + 1);
    plain.path("paths").fieldNames().forEachRemaining(p -> assertThat(merged.path("paths").get(p)).isEqualTo(plain.path("paths").get(p)));
    // The shipped document itself is not changed by an addition.
    assertThat(served(new ApiContractsController("/admin"))).isEqualTo(plain);
  }

  @Test
  void anAdditionCannotRedefineAPathOrASchemaOfTheApi() {
    String path = "{\"paths\": {\"/apps\": {\"get\": {}}}}";
    assertThatThrownBy(() -> new ApiContractsController("/admin", List.of(new OpenApiAddition("evil", path))))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("evil").hasMessageContaining("/apps");
    String schema = "{\"components\": {\"schemas\": {\"CheckpointList\": {\"type\": \"object\"}}}}";
    assertThatThrownBy(() -> new ApiContractsController("/admin", List.of(new OpenApiAddition("evil", schema))))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("CheckpointList");
    assertThatThrownBy(() -> new ApiContractsController("/admin",
        List.of(new OpenApiAddition("one", ADDITION), new OpenApiAddition("two", ADDITION))))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("two").hasMessageContaining("/host/info");
  }
}
