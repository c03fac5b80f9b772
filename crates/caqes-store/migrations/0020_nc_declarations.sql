-- NC declared by an établissement on an indicator its category makes concerned, with the
-- motive drawn from its activity, and the ARS's review (issue 9, W4: « un ES peut être non
-- concerné en fonction de son activité » — the établissement proposes, the ARS accepts or
-- refuses). The value itself stays in indicator_values (declared = 'NC').
CREATE TABLE nc_declarations (
    site TEXT NOT NULL REFERENCES sites(finess),
    year BIGINT NOT NULL,
    indicator TEXT NOT NULL,
    motive TEXT NOT NULL CHECK (length(trim(motive)) > 0),
    review TEXT NOT NULL DEFAULT 'proposee' CHECK (review IN ('proposee', 'acceptee', 'refusee')),
    review_comment TEXT,
    declared_at TEXT NOT NULL,
    declared_by TEXT REFERENCES users(id),
    reviewed_at TEXT,
    reviewed_by TEXT REFERENCES users(id),
    PRIMARY KEY (site, year, indicator)
);
