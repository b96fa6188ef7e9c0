package io.pgpubsub.samples.boot;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** POST /orders places an order; GET /orders/{id} shows it with its invoice and audit trail. */
@RestController
@RequestMapping("/orders")
public class OrderController {

  public record OrderRequest(String customer, BigDecimal amount) {}

  private final OrderService orderService;
  private final ShopOrderRepository orders;
  private final InvoiceRepository invoices;
  private final AuditEntryRepository audit;

  public OrderController(
      OrderService orderService, ShopOrderRepository orders, InvoiceRepository invoices, AuditEntryRepository audit) {
    this.orderService = orderService;
    this.orders = orders;
    this.invoices = invoices;
    this.audit = audit;
  }

  @PostMapping
  public ResponseEntity<Map<String, Object>> place(
      @RequestBody OrderRequest request, @RequestHeader(name = "X-User", defaultValue = "anonymous") String user) {
    ShopOrder order = orderService.place(request.customer(), request.amount(), user);
    return ResponseEntity.status(HttpStatus.CREATED).body(Map.of("id", order.getId()));
  }

  @GetMapping("/{id}")
  public ResponseEntity<Map<String, Object>> show(@PathVariable long id) {
    return orders
        .findById(id)
        .map(
            o -> {
              Map<String, Object> body = new LinkedHashMap<>();
              body.put("id", o.getId());
              body.put("customer", o.getCustomer());
              body.put("amount", o.getAmount());
              body.put("status", o.getStatus().name());
              List<Invoice> inv = invoices.findByOrderId(id);
              body.put("invoicedBy", inv.stream().map(Invoice::getPlacedBy).toList());
              body.put("audit", audit.findByOrderIdOrderById(id).stream().map(AuditEntry::getChange).toList());
              return ResponseEntity.ok(body);
            })
        .orElse(ResponseEntity.notFound().build());
  }
}
