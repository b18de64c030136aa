package io.loupe.tracestore.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SearchIndexIT {
  @TempDir Path dir;

  @Test
  void anIndexOfAnotherLayoutIsNotOpenedSoThatItIsRebuilt() throws IOException {
    try (FSDirectory d = FSDirectory.open(dir); IndexWriter w = new IndexWriter(d, new IndexWriterConfig())) {
      Document doc = new Document(); // layout 1: one document per span, no layout in the commit
      doc.add(new StringField(SearchIndex.TENANT, "a", Field.Store.NO));
      w.addDocument(doc);
      w.commit();
    }
    assertThat(SearchIndex.openSealed(dir)).isNull();

    SearchIndex fresh = SearchIndex.create(dir);
    fresh.seal();
    fresh.close();
    SearchIndex reopened = SearchIndex.openSealed(dir);
    assertThat(reopened).isNotNull();
    reopened.close();
  }
}
