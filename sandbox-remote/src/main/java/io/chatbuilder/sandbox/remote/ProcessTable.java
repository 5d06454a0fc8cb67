package io.chatbuilder.sandbox.remote;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.BusyException;
import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.ErrorCode;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.sandbox.Sandbox;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The commands started over HTTP in one sandbox. Each runs {@link Sandbox#run} on a server thread;
 * its output is kept as numbered events (bounded) so a client that lost its stream re-attaches from
 * the last event it saw.
 */
final class ProcessTable {
  static final int MAX_RUNNING = 16;
  static final int MAX_FINISHED_KEPT = 64;
  static final long MAX_BUFFERED_BYTES = 8L * 1024 * 1024;

  private static final Logger log = LoggerFactory.getLogger(ProcessTable.class);

  private final ConcurrentMap<String, RemoteProcess> processes = new ConcurrentHashMap<>();
  private final AtomicLong counter = new AtomicLong();

  RemoteProcess start(Sandbox sandbox, CommandRequest request, Executor executor) {
    // The policy is checked here, before anything is scheduled, so a denied command is a 403 answer
    // to the start request rather than an event; Sandbox.run checks it again.
    sandbox.policy().check(request.argv());
    synchronized (this) {
      long running = processes.values().stream().filter(p -> !p.finished()).count();
      if (running >= MAX_RUNNING) {
        throw new BusyException(running + " commands are already running in sandbox " + sandbox.id());
      }
      prune();
      RemoteProcess process = new RemoteProcess("p" + counter.incrementAndGet(), request);
      processes.put(process.id, process);
      try {
        executor.execute(() -> process.run(sandbox));
      } catch (RejectedExecutionException e) {
        processes.remove(process.id);
        throw new BusyException("the sandbox host is shutting down or out of process threads");
      }
      return process;
    }
  }

  RemoteProcess get(String id) {
    RemoteProcess p = processes.get(id);
    if (p == null) {
      throw new NotFoundException("no process '" + id + "' in this sandbox (finished processes are kept for a while only)");
    }
    return p;
  }

  List<RemoteProcess> list() {
    List<RemoteProcess> out = new ArrayList<>(processes.values());
    out.sort(Comparator.comparingLong(p -> p.number));
    return out;
  }

  void cancelAll() {
    processes.values().forEach(p -> p.cancellation.cancel());
  }

  private void prune() {
    List<RemoteProcess> finished = list().stream().filter(RemoteProcess::finished).toList();
    for (int i = 0; i < finished.size() - MAX_FINISHED_KEPT; i++) {
      processes.remove(finished.get(i).id);
    }
  }

  /** One numbered output event, as sent on the SSE stream. */
  record ProcessEvent(long seq, String type, String data) {
    boolean terminal() {
      return type.equals("exit") || type.equals("error");
    }
  }

  /** What a stream reader gets: events after its position, and how many were dropped before them. */
  record Batch(List<ProcessEvent> events, long missedFrom, long missedTo, boolean ended) {}

  static final class RemoteProcess {
    final String id;
    final long number;
    final CommandRequest request;
    final Instant startedAt = Instant.now();
    final Cancellation cancellation = new Cancellation();
    private final ArrayDeque<ProcessEvent> events = new ArrayDeque<>();
    private long lastSeq;
    private long bufferedBytes;
    private String state = "starting";
    private CommandResult result;
    private String errorCode;

    RemoteProcess(String id, CommandRequest request) {
      this.id = id;
      this.number = Long.parseLong(id.substring(1));
      this.request = request;
    }

    void run(Sandbox sandbox) {
      ObjectNode start = Wire.command(request);
      start.put("id", id);
      append("start", start);
      synchronized (this) {
        state = "running";
      }
      try {
        CommandResult r = sandbox.run(request, new CommandListener() {
          @Override
          public void onStdout(String chunk) {
            append("stdout", chunk(chunk));
          }

          @Override
          public void onStderr(String chunk) {
            append("stderr", chunk(chunk));
          }
        }, cancellation);
        // State and terminal event change together, so a reader never sees "finished" without the exit.
        synchronized (this) {
          result = r;
          state = "exited";
          append("exit", Wire.result(r));
        }
      } catch (ChatBuilderException e) {
        finishWithError(e.code(), e.getMessage());
      } catch (RuntimeException e) {
        log.warn("command {} in sandbox {} failed", request.argv(), sandbox.id(), e);
        finishWithError(ErrorCode.SANDBOX_ERROR, "command failed on the sandbox host: " + e);
      }
    }

    private void finishWithError(ErrorCode code, String message) {
      synchronized (this) {
        state = "failed";
        errorCode = code.wireName();
        append("error", Wire.error(code, message));
      }
    }

    private static ObjectNode chunk(String text) {
      ObjectNode o = Wire.NODES.objectNode();
      o.put("text", text);
      return o;
    }

    private synchronized void append(String type, ObjectNode data) {
      String json = Wire.text(data);
      ProcessEvent event = new ProcessEvent(++lastSeq, type, json);
      events.addLast(event);
      bufferedBytes += json.getBytes(StandardCharsets.UTF_8).length;
      // Keep the terminal event and the newest output; drop the oldest output past the cap.
      while (bufferedBytes > MAX_BUFFERED_BYTES && events.size() > 1) {
        ProcessEvent dropped = events.removeFirst();
        bufferedBytes -= dropped.data().getBytes(StandardCharsets.UTF_8).length;
      }
      notifyAll();
    }

    synchronized boolean finished() {
      return state.equals("exited") || state.equals("failed");
    }

    /**
     * Events after {@code lastSeen}, waiting up to {@code waitMillis} for one if there is none yet.
     * An empty batch means "nothing new yet" (the caller sends a heartbeat and asks again).
     */
    synchronized Batch after(long lastSeen, long waitMillis) throws InterruptedException {
      long deadline = System.nanoTime() + waitMillis * 1_000_000;
      while (lastSeq <= lastSeen) {
        if (finished()) {
          return new Batch(List.of(), 0, 0, true); // the reader has everything, exit included
        }
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) {
          return new Batch(List.of(), 0, 0, false);
        }
        java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, remaining);
      }
      List<ProcessEvent> out = new ArrayList<>();
      long firstKept = events.isEmpty() ? lastSeq + 1 : events.peekFirst().seq();
      for (ProcessEvent e : events) {
        if (e.seq() > lastSeen) {
          out.add(e);
        }
      }
      return firstKept > lastSeen + 1 ? new Batch(out, lastSeen + 1, firstKept - 1, false) : new Batch(out, 0, 0, false);
    }

    synchronized ObjectNode status() {
      ObjectNode o = Wire.NODES.objectNode();
      o.put("id", id);
      o.set("argv", Wire.array(request.argv()));
      o.put("cwd", request.workingDirectory());
      o.put("state", state);
      o.put("started_at", startedAt.toString());
      o.put("last_event_id", lastSeq);
      if (result != null) {
        o.set("result", Wire.result(result));
      }
      if (errorCode != null) {
        o.put("error_code", errorCode);
      }
      return o;
    }
  }
}
