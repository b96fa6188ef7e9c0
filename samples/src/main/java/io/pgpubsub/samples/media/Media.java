package io.pgpubsub.samples.media;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * An uploaded file. Its channel is lockable (the default): every change is processed by exactly one
 * listener process. The trigger leaves the file's bytes out of the stored rows (callbacks that need them
 * read them through their Session) and ignores updates that change neither the status nor the file name.
 */
@Entity
@Table(name = "media")
@TriggerChannel(watchColumns = {"status", "file_name"}, excludeColumns = "content")
public class Media {

  public enum Status {
    UPLOADED,
    CLEAN,
    INFECTED
  }

  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  private Long id;

  @Column(name = "file_name", nullable = false)
  private String fileName;

  @Column(nullable = false)
  private byte[] content;

  @Enumerated(EnumType.STRING)
  @Column(nullable = false)
  private Status status = Status.UPLOADED;

  /** Changes often and interests no listener: the channel's change filter ignores it. */
  private int downloads;

  protected Media() {}

  public Media(String fileName, byte[] content) {
    this.fileName = fileName;
    this.content = content;
  }

  public Long getId() {
    return id;
  }

  public String getFileName() {
    return fileName;
  }

  public byte[] getContent() {
    return content;
  }

  public Status getStatus() {
    return status;
  }

  public void setStatus(Status status) {
    this.status = status;
  }

  public int getDownloads() {
    return downloads;
  }

  public void setDownloads(int downloads) {
    this.downloads = downloads;
  }

  @Override
  public String toString() {
    return "Media#" + id + "(" + fileName + ", " + status + ")";
  }
}
