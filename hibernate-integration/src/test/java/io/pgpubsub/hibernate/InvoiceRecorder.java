package io.pgpubsub.hibernate;

import io.pgpubsub.Delivery;
import io.pgpubsub.PostSaveListener;
import io.pgpubsub.hibernate.Recorder.Event;
import io.pgpubsub.hibernate.model.Invoice;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** The listener of {@link DecimalScaleTest}: keeps what the callbacks receive. */
public class InvoiceRecorder {

  private final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();

  @PostSaveListener
  public void invoiceSaved(Invoice old, Invoice current, Delivery delivery) {
    events.add(new Event("invoiceSaved", old, current, delivery));
  }

  /** The next callback, waiting at most {@code timeout}. */
  public Event next(Duration timeout) throws InterruptedException {
    Event e = events.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    if (e == null) {
      throw new AssertionError("no callback within " + timeout);
    }
    return e;
  }
}
