package io.loupe.tracestore.internal;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.index.DocValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.MatchNoDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.QueryVisitor;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.SimpleCollector;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.util.BytesRef;

/**
 * The trace documents whose spans have a resource matching {@code onResources}: rewritten, on the searcher of one
 * segment's index, into the set of that index's matching resource ids ({@link SearchIndex#RESOURCE_ID}) looked up in
 * the trace documents' {@link SearchIndex#RESOURCE_REF} field. Resource ids are local to an index, which is why the
 * join happens at rewrite time, per searcher. Resource documents are few (one per distinct resource), so the inner
 * search is cheap next to the trace query it feeds.
 */
final class ResourceJoinQuery extends Query {
  private final Query onResources;

  ResourceJoinQuery(Query onResources) {
    this.onResources = requireNonNull(onResources, "onResources");
  }

  @Override
  public Query rewrite(IndexSearcher searcher) throws IOException {
    List<BytesRef> ids = new ArrayList<>();
    searcher.search(onResources, new SimpleCollector() {
      private NumericDocValues values;

      @Override
      protected void doSetNextReader(LeafReaderContext context) throws IOException {
        values = DocValues.getNumeric(context.reader(), SearchIndex.RESOURCE_ID);
      }

      @Override
      public void collect(int doc) throws IOException {
        if (values.advanceExact(doc)) {
          ids.add(SearchIndex.resourceTerm((int) values.longValue()));
        }
      }

      @Override
      public ScoreMode scoreMode() {
        return ScoreMode.COMPLETE_NO_SCORES;
      }
    });
    if (ids.isEmpty()) {
      return new MatchNoDocsQuery("no resource matches " + onResources);
    }
    return new TermInSetQuery(SearchIndex.RESOURCE_REF, ids);
  }

  @Override
  public void visit(QueryVisitor visitor) {
    visitor.visitLeaf(this);
  }

  @Override
  public String toString(String field) {
    return "resource(" + onResources.toString(field) + ")";
  }

  @Override
  public boolean equals(Object o) {
    return sameClassAs(o) && onResources.equals(((ResourceJoinQuery) o).onResources);
  }

  @Override
  public int hashCode() {
    return 31 * classHash() + onResources.hashCode();
  }
}
