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
 * queue of frames written with the Servlet non-blocking API. A full queue pauses the subscription until the client
 * has read it (catch-up of a long backlog works that way too); a client that reads nothing for the stall timeout is
 * disconnected and resumes from the last id it received. Nothing is lost, memory is bounded.
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
  private boolean paused;
  private StreamPosition seen; // the last event taken (queued or filtered out): where an unpause goes on
  private long lastDrained = System.nanoTime();

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
    synchronized (this) {
      seen = from;
    }
    send(preamble);
    subscribe(from);
  }

  private void subscribe(StreamPosition from) {
    StreamReader.Subscription s = feed.subscribe(from, this);
    synchronized (this) {
      if (closed.get() || paused || subscription != null) {
        s.cancel(); // paused (or closed) before subscribe returned; an unpause subscribes anew
      } else {
        subscription = s;
      }
    }
  }

  @Override
  public void onEvent(StreamEvent e) {
    if (closed.get()) {
      return;
    }
    ChannelRuntime.Prepared<T> p = runtime.prepare(e);
    boolean send =
        p.frame() != null
            && (ids.isEmpty() || (p.event().id() != null && ids.contains(p.event().id())))
            && endpoint.visible(runtime, principal, p.event());
    synchronized (this) {
      if (closed.get() || paused) {
        return; // the subscription is being cancelled
      }
      if (send) {
        if (queue.size() >= maxQueued) {
          pause();
          return;
        }
        enqueue(p.frame());
      }
      seen = e.position();
      if (send) {
        pump();
      }
    }
  }

  /**
   * The queue is full: stop the subscription at the last event taken; once the client has read the queue, a new
   * subscription goes on from there (from the reader's memory or the database). Memory stays bounded; a client
   * that reads nothing for {@code stallTimeout} is disconnected ({@link #checkStalled}).
   */
  private void pause() {
    paused = true;
    StreamReader.Subscription s = subscription;
    subscription = null;
    if (s != null) {
      s.cancel();
    }
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
      enqueue(frame.getBytes(StandardCharsets.UTF_8));
      pump();
    }
  }

  /** Queues a control frame (preamble, heartbeat); skipped when the queue is full (data is pending anyway). */
  synchronized void send(byte[] frame) {
    if (closed.get() || queue.size() >= maxQueued) {
      return;
    }
    enqueue(frame);
    pump();
  }

  /** Called with the lock held. A stall is counted from the moment the queue stops being empty. */
  private void enqueue(byte[] frame) {
    if (queue.isEmpty()) {
      lastDrained = System.nanoTime();
    }
    queue.add(frame);
  }

  /** Closes the connection when its client has not read what was queued for longer than {@code stallNanos}. */
  synchronized boolean checkStalled(long now, long stallNanos) {
    if (!closed.get() && !queue.isEmpty() && now - lastDrained > stallNanos) {
      log.debug("web channel '{}': a client has read nothing for {} ms with {} events queued, disconnecting it"
          + " (it resumes by its last id)", runtime.channel.name(), stallNanos / 1_000_000, queue.size());
      close();
      return true;
    }
    return false;
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
          lastDrained = System.nanoTime();
          if (completeWhenDrained) {
            close();
          } else if (paused) {
            paused = false;
            subscribe(seen);
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
