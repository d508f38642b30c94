-- H3 columns are B-tree indexed everywhere (house rule); the cell filters of the measures use them too.
CREATE INDEX enterprise_counts_h3_r7_idx ON enterprise_counts (h3_r7);
CREATE INDEX enterprise_counts_h3_r8_idx ON enterprise_counts (h3_r8);
CREATE INDEX enterprise_counts_h3_r9_idx ON enterprise_counts (h3_r9);
