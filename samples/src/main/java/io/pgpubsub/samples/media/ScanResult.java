package io.pgpubsub.samples.media;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * Written by the scan callback through its Session, in the transaction that removes the notification. The
 * primary key is the media id, so a second scan of the same file would fail: the demo's proof that nothing
 * is processed twice.
 */
@Entity
@Table(name = "scan_result")
public class ScanResult {

  @Id
  @Column(name = "media_id")
  private Long mediaId;

  @Column(nullable = false)
  private String verdict;

  /** Which listener process scanned it. */
  @Column(nullable = false)
  private String scanner;

  protected ScanResult() {}

  public ScanResult(Long mediaId, String verdict, String scanner) {
    this.mediaId = mediaId;
    this.verdict = verdict;
    this.scanner = scanner;
  }

  public Long getMediaId() {
    return mediaId;
  }

  public String getVerdict() {
    return verdict;
  }

  public String getScanner() {
    return scanner;
  }
}
