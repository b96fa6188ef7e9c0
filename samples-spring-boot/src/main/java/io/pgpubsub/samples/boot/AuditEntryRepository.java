package io.pgpubsub.samples.boot;

import java.util.List;
import org.springframework.data.jpa.repository.JpaRepository;

public interface AuditEntryRepository extends JpaRepository<AuditEntry, Long> {
  List<AuditEntry> findByOrderIdOrderById(Long orderId);
}
