package io.chatbuilder.sandbox.local;

import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.SandboxService;
import io.chatbuilder.core.sandbox.ServiceRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A child JVM for {@link AdversarialIsolationTest}: opens a sandbox on {@code args[0]}, starts a
 * service whose tree carries {@code args[1]}, prints {@code READY <endpoint> <private dir>} and
 * waits to be killed.
 */
public final class ServiceHost {
  private ServiceHost() {}

  public static void main(String[] args) throws Exception {
    LocalSandbox sandbox = LocalSandbox.builder(Path.of(args[0])).build();
    sandbox.write("server.js", ServiceTest.SERVER.getBytes(StandardCharsets.UTF_8));
    int port = Integer.parseInt(args[2]);
    SandboxService service = sandbox.startService(new ServiceRequest("dev", List.of("node", "server.js", args[2], args[1]), "",
        Map.of(), port), CommandListener.NONE);
    System.out.println("READY " + service.endpoint() + " " + sandbox.runDirectory());
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
