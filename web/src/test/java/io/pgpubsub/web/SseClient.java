package io.pgpubsub.web;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/** A plain Java SSE client: reads the stream on a thread of its own and keeps every event it received. */
final class SseClient implements AutoCloseable {

  record Event(String id, String event, String data) {}

  static final HttpClient HTTP = HttpClient.newHttpClient();

  final List<Event> events = new CopyOnWriteArrayList<>();
  final int status;
  private final InputStream body;
  private final Thread reader;
  private volatile boolean ended;

  private SseClient(HttpResponse<InputStream> response) {
    this.status = response.statusCode();
    this.body = response.body();
    this.reader = new Thread(this::read, "sse-client");
    reader.setDaemon(true);
    reader.start();
  }

  /** Opens {@code url} as user {@code user} (null: anonymous), resuming after {@code lastEventId} when not null. */
  static SseClient open(String url, String user, String lastEventId) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/event-stream");
    if (user != null) {
      b.header("X-User", user);
    }
    if (lastEventId != null) {
      b.header("Last-Event-ID", lastEventId);
    }
    HttpResponse<InputStream> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    if (r.statusCode() != 200) {
      throw new AssertionError("GET " + url + ": " + r.statusCode() + " " + new String(r.body().readAllBytes(), StandardCharsets.UTF_8));
    }
    return new SseClient(r);
  }

  static HttpResponse<String> get(String url, String user) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
    if (user != null) {
      b.header("X-User", user);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private void read() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
      String id = null;
      String event = null;
      StringBuilder data = null;
      String line;
      while ((line = in.readLine()) != null) {
        if (line.isEmpty()) {
          if (data != null) {
            events.add(new Event(id, event == null ? "message" : event, data.toString()));
          }
          event = null;
          data = null;
        } else if (line.startsWith("id: ")) {
          id = line.substring(4);
        } else if (line.startsWith("event: ")) {
          event = line.substring(7);
        } else if (line.startsWith("data: ")) {
          data = data == null ? new StringBuilder(line.substring(6)) : data.append('\n').append(line.substring(6));
        }
      }
    } catch (Exception e) {
      // closed
    } finally {
      ended = true;
    }
  }

  boolean ended() {
    return ended;
  }

  /** The events that are not resets, comments or other control events. */
  List<Event> changes() {
    List<Event> out = new ArrayList<>();
    for (Event e : events) {
      if (!e.event().equals("reset")) {
        out.add(e);
      }
    }
    return out;
  }

  String lastId() {
    return events.isEmpty() ? null : events.get(events.size() - 1).id();
  }

  /** Waits until {@code condition} holds for the events received (polls with a deadline). */
  void await(Duration timeout, Predicate<List<Event>> condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.test(events)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what + "; received " + events);
      }
      Thread.sleep(10);
    }
  }

  void awaitEnd(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!ended) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the stream did not end; received " + events);
      }
      Thread.sleep(10);
    }
  }

  @Override
  public void close() {
    try {
      body.close();
    } catch (Exception e) {
      // already closed
    }
  }
}
