package io.chatbuilder.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.conversation.ConversationStore;
import io.chatbuilder.core.model.Attachment;
import io.chatbuilder.core.model.ChatInput;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.runtime.PreviewDiagnostic;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A user message keeps its attachments through the JDBC conversation store and a restart, images of
 * the largest size a message may carry included; rows written before attachments existed still read.
 */
class JdbcConversationAttachmentsTest {

  private static String png(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    byte[] magic = {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    System.arraycopy(magic, 0, bytes, 0, magic.length);
    return Base64.getEncoder().encodeToString(bytes);
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgresql", "mariadb"})
  void attachmentsRoundTripAndOldRowsStillLoad(String database) throws Exception {
    SimpleDataSource dataSource = TestDatabases.named(database);
    String prefix = TestDatabases.uniquePrefix();
    try {
      ConversationStore store = TestDatabases.stores(dataSource, prefix).conversationStore();
      String app = "app-" + UUID.randomUUID().toString().substring(0, 8);
      // A row as an SDK version without attachments wrote it.
      Tables tables = new Tables(prefix);
      store.append(app, "run-0", List.of(new ChatMessage.Note("created")));
      try (Connection c = dataSource.getConnection();
          PreparedStatement s = c.prepareStatement("INSERT INTO " + tables.messages
              + " (app_id, msg_index, payload, turn_id) VALUES (?, ?, ?, ?)");
          PreparedStatement count = c.prepareStatement("UPDATE " + tables.conversations + " SET msg_count = 2 WHERE app_id = ?")) {
        s.setString(1, app);
        s.setInt(2, 1);
        s.setString(3, "{\"role\":\"user\",\"text\":\"add a title ✓\"}");
        s.setString(4, "run-old");
        s.executeUpdate();
        count.setString(1, app);
        count.executeUpdate();
      }

      // the most a message may carry: two images of 3 MiB and one of 2 MiB (8 MiB), with the other kinds
      List<Attachment> attachments = List.of(
          new Attachment.ElementSelection("src/App.tsx", 12, 7, "button", Optional.of("count is 0 — ✓")),
          new Attachment.FileReference("src/App.tsx", OptionalInt.of(10), OptionalInt.of(11),
              Optional.of("10\tconst a = '</script>'\n11\t`x`\n")),
          new Attachment.DiagnosticReport(PreviewDiagnostic.Kind.UNHANDLED_REJECTION, "boom\n  at f (src/a.ts:1:1)",
              Optional.of("src/a.ts"), OptionalInt.of(1), OptionalInt.empty()),
          new Attachment.Image("image/png", Optional.of("screenshot.png"), png(Attachment.MAX_IMAGE_BYTES, 1)),
          new Attachment.Image("image/png", Optional.empty(), png(Attachment.MAX_IMAGE_BYTES, 2)),
          new Attachment.Image("image/png", Optional.of("mock-up.png"), png(2 * 1024 * 1024, 3)));
      ChatInput input = new ChatInput("make it look like this", attachments);
      ChatMessage.User user = new ChatMessage.User(input.message(), input.attachments());
      store.append(app, "run-1", List.of(user, new ChatMessage.Assistant("Done.", List.of())));

      ConversationStore restarted = TestDatabases.stores(dataSource, prefix).conversationStore();
      List<ChatMessage> loaded = restarted.load(app);
      assertThat(loaded).containsExactly(new ChatMessage.Note("created"), new ChatMessage.User("add a title ✓", List.of()),
          user, new ChatMessage.Assistant("Done.", List.of()));
      ChatMessage.User back = (ChatMessage.User) loaded.get(2);
      for (int i = 0; i < 3; i++) {
        assertThat(back.images().get(i).bytes()).isEqualTo(user.images().get(i).bytes());
      }
    } finally {
      TestDatabases.dropTables(dataSource, prefix);
    }
  }
}
