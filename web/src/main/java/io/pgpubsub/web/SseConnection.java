package io.pgpubsub.web;

import io.pgpubsub.StreamEvent;
import io.pgpubsub.StreamPosition;
import io.pgpubsub.StreamPositionPrunedException;
import io.pgpubsub.StreamReader;
import io.pgpubsub.StreamSubscriber;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.util.ArrayDeque;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One browser's event stream: a subscription of the channel's feed that filters (ids, visibility), and a bounded
 * queue of frames written with the Servlet non-blocking API. A full queue means the client does not keep up: the
 * connection is closed, and the client resumes from the last id it received (nothing is lost, memory is bounded).
 */
final class SseConnection<T> implements StreamSubscriber, WriteListener, AsyncListener {

  private static final Logger log = LoggerFactory.getLogger(SseConnection.class);

  private final PushEndpoint endpoint;
  private final ChannelRuntime<T> runtime;
  private final EventFeed feed;
  private final Principal principal;
  private final Set<String> ids;
  private final AsyncContext async;
  private final ServletOutputStream out;
  private final int maxQueued;
  private final AtomicBoolean closed = new AtomicBoolean();

  // guarded by this
  private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
  private boolean needsFlush;
  private boolean completeWhenDrained;

  private volatile StreamReader.Subscription subscription;

  SseConnection(
      PushEndpoint endpoint, ChannelRuntime<T> runtime, EventFeed feed, Principal principal, Set<String> ids,
      AsyncContext async, ServletOutputStream out, int maxQueued) {
    this.endpoint = endpoint;
    this.runtime = runtime;
    this.feed = feed;
    this.principal = principal;
    this.ids = ids;
    this.async = async;
    this.out = out;
    this.maxQueued = maxQueued;
  }

  void start(byte[] preamble, StreamPosition from) {
    send(preamble);
    StreamReader.Subscription s = feed.subscribe(from, this);
    subscription = s;
    if (closed.get()) {
      s.cancel();
    }
  }

  @Override
  public void onEvent(StreamEvent e) {
    if (closed.get()) {
      return;
    }
    ChannelRuntime.Prepared<T> p = runtime.prepare(e);
    if (p.frame() == null) {
      return;
    }
    if (!ids.isEmpty() && (p.event().id() == null || !ids.contains(p.event().id()))) {
      return;
    }
    if (!endpoint.visible(runtime, principal, p.event())) {
      return;
    }
    send(p.frame());
  }

  @Override
  public void onReset(StreamPositionPrunedException reset) {
    resetAndClose(reset.oldest());
  }

  /** Sends {@code event: reset} with the id to go on from (the node's head: reload the page's state, then resume there). */
  void resetAndClose(StreamPosition oldest) {
    StreamPosition head = feed.head();
    String frame =
        "id: " + head + "\nevent: reset\ndata: {\"channel\":\"" + runtime.channel.name() + "\",\"oldest\":\"" + oldest
            + "\",\"resumeFrom\":\"" + head + "\"}\n\n";
    synchronized (this) {
      queue.clear(); // nothing after a reset
      completeWhenDrained = true;
    }
    send(frame.getBytes(StandardCharsets.UTF_8));
  }

  /** Queues a frame; false (and the connection closed) when the queue is full: the client is too slow. */
  boolean send(byte[] frame) {
    synchronized (this) {
      if (closed.get()) {
        return false;
      }
      if (queue.size() >= maxQueued) {
        endpoint.slowClientDropped();
        log.debug("web channel '{}': a client fell {} events behind, disconnecting it (it resumes by its last id)",
            runtime.channel.name(), maxQueued);
        close();
        return false;
      }
      queue.add(frame);
      pump();
      return true;
    }
  }

  private synchronized void pump() {
    if (closed.get()) {
      return;
    }
    try {
      while (out.isReady()) {
        byte[] f = queue.poll();
        if (f == null) {
          if (needsFlush) {
            needsFlush = false;
            out.flush();
            continue;
          }
          if (completeWhenDrained) {
            close();
          }
          return;
        }
        out.write(f);
        needsFlush = true;
      }
    } catch (IOException | RuntimeException e) {
      log.debug("web channel '{}': write failed, closing: {}", runtime.channel.name(), e.toString());
      close();
    }
  }

  /** Ends the stream (idempotent): cancels the subscription, completes the response, frees the slot. */
  void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    StreamReader.Subscription s = subscription;
    if (s != null) {
      s.cancel();
    }
    synchronized (this) {
      queue.clear();
    }
    endpoint.removed(this);
    try {
      async.complete();
    } catch (RuntimeException alreadyDone) {
      log.trace("completing an ended stream", alreadyDone);
    }
  }

  boolean isClosed() {
    return closed.get();
  }

  synchronized int queued() {
    return queue.size();
  }

  @Override
  public void onWritePossible() {
    pump();
  }

  @Override
  public void onError(Throwable t) {
    close();
  }

  @Override
  public void onComplete(AsyncEvent event) {
    close();
  }

  @Override
  public void onTimeout(AsyncEvent event) {
    close();
  }

  @Override
  public void onError(AsyncEvent event) {
    close();
  }

  @Override
  public void onStartAsync(AsyncEvent event) {}
}
