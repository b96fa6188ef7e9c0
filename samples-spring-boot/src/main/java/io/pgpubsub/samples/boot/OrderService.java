package io.pgpubsub.samples.boot;

import io.pgpubsub.spring.PubSubContext;
import java.math.BigDecimal;
import java.util.Map;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** The writer side: an ordinary transactional service. The repository save fires the trigger. */
@Service
public class OrderService {

  private final ShopOrderRepository orders;
  private final PubSubContext pubSubContext;

  public OrderService(ShopOrderRepository orders, PubSubContext pubSubContext) {
    this.orders = orders;
    this.pubSubContext = pubSubContext;
  }

  @Transactional
  public ShopOrder place(String customer, BigDecimal amount, String user) {
    pubSubContext.set(Map.of("user", user)); // every notification of this transaction carries it
    return orders.save(new ShopOrder(customer, amount));
  }
}
