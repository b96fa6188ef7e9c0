package io.pgpubsub.samples.boot;

import io.pgpubsub.Delivery;
import io.pgpubsub.PostInsertListener;
import io.pgpubsub.PostUpdateListener;
import jakarta.persistence.EntityManager;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The callbacks. Not a {@code @Component}: the starter creates it through the application context, so
 * constructor injection works. Everything it does (the service's repository save, the JdbcTemplate update,
 * the EntityManager persist) joins the transaction that claims and removes the notification.
 */
public class OrderListeners {

  private final InvoiceService invoiceService;
  private final JdbcTemplate jdbc;
  private final EntityManager entityManager;

  public OrderListeners(InvoiceService invoiceService, JdbcTemplate jdbc, EntityManager entityManager) {
    this.invoiceService = invoiceService;
    this.jdbc = jdbc;
    this.entityManager = entityManager;
  }

  @PostInsertListener
  public void onPlaced(ShopOrder order, Delivery delivery) {
    invoiceService.invoice(order, delivery);
    // a watched column changes: this UPDATE notifies the channel again (onStatusChange below)
    jdbc.update("UPDATE shop_order SET status = 'INVOICED', updated_at = now() WHERE id = ?", order.getId());
  }

  @PostUpdateListener
  public void onStatusChange(ShopOrder old, ShopOrder current) {
    if (old.getStatus() != current.getStatus()) {
      entityManager.persist(new AuditEntry(current.getId(), old.getStatus() + " -> " + current.getStatus()));
    }
  }
}
