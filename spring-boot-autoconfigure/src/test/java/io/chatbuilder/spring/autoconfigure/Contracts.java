package io.chatbuilder.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.util.List;

/** The published contracts (JSON Schema 2020-12, OpenAPI 3.1) as validators. */
final class Contracts {
  static final String EVENTS = "classpath:io/chatbuilder/spring/autoconfigure/contracts/events.schema.json";
  static final String OPENAPI = "classpath:io/chatbuilder/spring/autoconfigure/contracts/openapi.json";

  private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

  private Contracts() {}

  /** A schema by location, e.g. {@code EVENTS + "#/$defs/RunStarted"}. */
  static Schema schema(String location) {
    return REGISTRY.getSchema(SchemaLocation.of(location));
  }

  static void assertValid(String location, String json) {
    List<Error> errors = schema(location).validate(json, InputFormat.JSON);
    assertThat(errors).as("%s against %s", json, location).isEmpty();
  }

  static List<Error> errors(String location, String json) {
    return schema(location).validate(json, InputFormat.JSON);
  }
}
