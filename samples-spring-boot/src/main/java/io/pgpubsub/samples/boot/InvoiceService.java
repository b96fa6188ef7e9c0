package io.pgpubsub.samples.boot;

import io.pgpubsub.Delivery;
import java.math.BigDecimal;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Invoices an order. Called from the order callback, its {@code @Transactional} (REQUIRED) joins the
 * listener's transaction: the invoice commits together with the removal of the notification, or not at all.
 */
@Service
public class InvoiceService {

  /** Orders above this amount are refused by the (pretend) credit check. */
  public static final BigDecimal CREDIT_LIMIT = new BigDecimal("10000");

  private final InvoiceRepository invoices;

  public InvoiceService(InvoiceRepository invoices) {
    this.invoices = invoices;
  }

  @Transactional
  public Invoice invoice(ShopOrder order, Delivery delivery) {
    Object user = delivery.context().getOrDefault("user", "unknown");
    Invoice invoice = invoices.save(new Invoice(order.getId(), order.getAmount(), String.valueOf(user), delivery.attempt()));
    if (order.getAmount().compareTo(CREDIT_LIMIT) > 0) {
      // the invoice saved above rolls back with this attempt; the notification is retried, then dead
      throw new IllegalStateException("order " + order.getId() + " exceeds the credit limit of " + CREDIT_LIMIT);
    }
    return invoice;
  }
}
