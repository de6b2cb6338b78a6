//! A small builder over sea-query's `CREATE TABLE`, so each table in a migration reads as a
//! list of its columns, and the house rules (surrogate key, version, created_at, an index on
//! every foreign key) are applied in one place.

use sea_orm_migration::{prelude::*, schema::*};

/// A text column holding one of a fixed set of values, enforced by `CHECK (col IN (...))`.
///
/// Enumerations are stored as text rather than native enum types so the schema is the same
/// on SQLite and PostgreSQL and a new value needs no `ALTER TYPE`.
pub(crate) fn one_of(name: &'static str, values: &[&str]) -> ColumnDef {
    string(name)
        .check(Expr::col(name).is_in(values.iter().copied()))
        .take()
}

/// A nullable [`one_of`] column; `NULL` passes the check, as SQL says it should.
pub(crate) fn one_of_null(name: &'static str, values: &[&str]) -> ColumnDef {
    string_null(name)
        .check(Expr::col(name).is_in(values.iter().copied()))
        .take()
}

/// How a table's rows are identified and versioned.
enum Shape {
    /// `id` surrogate key, `version` and `created_at`: an ordinary mutable table.
    Mutable,
    /// Composite primary key of two columns, plus `version` and `created_at`.
    Pair(&'static str, &'static str),
    /// `id` surrogate key only: rows are never updated, so no `version`.
    AppendOnly,
}

/// A table under construction and the indexes to create once it exists.
pub(crate) struct NewTable {
    name: &'static str,
    shape: Shape,
    create: TableCreateStatement,
    indexes: Vec<IndexCreateStatement>,
    /// Columns that already lead an index (or the primary key), so need no index of their own.
    leading: Vec<&'static str>,
    /// Foreign-key columns, each of which gets an index unless one already leads with it.
    references: Vec<&'static str>,
}

impl NewTable {
    fn with_shape(name: &'static str, shape: Shape) -> Self {
        let mut create = Table::create().table(name).take();
        let mut leading = Vec::new();
        match shape {
            Shape::Mutable | Shape::AppendOnly => {
                create.col(big_pk_auto("id"));
            }
            Shape::Pair(first, _) => leading.push(first),
        }
        Self {
            name,
            shape,
            create,
            indexes: Vec::new(),
            leading,
            references: Vec::new(),
        }
    }

    /// An ordinary table: `id`, the given columns, then `version` and `created_at`.
    pub(crate) fn new(name: &'static str) -> Self {
        Self::with_shape(name, Shape::Mutable)
    }

    /// A table whose primary key is the pair of columns `first`, `second` (a link table).
    pub(crate) fn keyed_by_pair(
        name: &'static str,
        first: &'static str,
        second: &'static str,
    ) -> Self {
        Self::with_shape(name, Shape::Pair(first, second))
    }

    /// An append-only table: `id` and the given columns, no `version` or `created_at`.
    pub(crate) fn append_only(name: &'static str) -> Self {
        Self::with_shape(name, Shape::AppendOnly)
    }

    /// Adds a column.
    pub(crate) fn col(mut self, column: impl IntoColumnDef) -> Self {
        self.create.col(column);
        self
    }

    fn foreign_key(
        mut self,
        column: &'static str,
        target: &'static str,
        nullable: bool,
        on_delete: ForeignKeyAction,
    ) -> Self {
        let def = if nullable {
            big_integer_null(column)
        } else {
            big_integer(column)
        };
        self.create.col(def).foreign_key(
            ForeignKey::create()
                .name(format!("fk_{}_{column}", self.name))
                .from(self.name, column)
                .to(target, "id")
                .on_delete(on_delete),
        );
        self.references.push(column);
        self
    }

    /// A required reference to `target.id`; the target cannot be deleted while referred to.
    pub(crate) fn reference(self, column: &'static str, target: &'static str) -> Self {
        self.foreign_key(column, target, false, ForeignKeyAction::Restrict)
    }

    /// An optional reference to `target.id`.
    pub(crate) fn reference_null(self, column: &'static str, target: &'static str) -> Self {
        self.foreign_key(column, target, true, ForeignKeyAction::Restrict)
    }

    /// A required reference to `target.id` whose rows go when the target goes: for details
    /// that have no meaning without their parent (link rows, a customer's members).
    pub(crate) fn reference_cascade(self, column: &'static str, target: &'static str) -> Self {
        self.foreign_key(column, target, false, ForeignKeyAction::Cascade)
    }

    fn add_index(mut self, columns: &[&'static str], unique: bool) -> Self {
        let mut index = Index::create()
            .name(format!(
                "{}_{}_{}",
                if unique { "uq" } else { "idx" },
                self.name,
                columns.join("_")
            ))
            .table(self.name)
            .take();
        for column in columns {
            index.col(*column);
        }
        if unique {
            index.unique();
        }
        if let Some(first) = columns.first() {
            self.leading.push(first);
        }
        self.indexes.push(index);
        self
    }

    /// An index on `columns`, in that order.
    pub(crate) fn index(self, columns: &[&'static str]) -> Self {
        self.add_index(columns, false)
    }

    /// A unique index on `columns`, in that order.
    pub(crate) fn unique(self, columns: &[&'static str]) -> Self {
        self.add_index(columns, true)
    }

    /// A named table-level `CHECK` constraint.
    pub(crate) fn check(mut self, name: &'static str, condition: Expr) -> Self {
        self.create.check((name, condition));
        self
    }

    /// The table's name.
    #[cfg(test)]
    pub(crate) fn name(&self) -> &'static str {
        self.name
    }

    /// The finished `CREATE TABLE`, then the `CREATE INDEX` statements to run after it.
    pub(crate) fn finish(mut self) -> (TableCreateStatement, Vec<IndexCreateStatement>) {
        match self.shape {
            Shape::Mutable => self.add_version_and_created_at(),
            Shape::Pair(first, second) => {
                self.add_version_and_created_at();
                self.create
                    .primary_key(Index::create().col(first).col(second));
            }
            Shape::AppendOnly => {}
        }
        let uncovered: Vec<&'static str> = self
            .references
            .iter()
            .copied()
            .filter(|column| !self.leading.contains(column))
            .collect();
        let mut table = self;
        for column in uncovered {
            table = table.index(&[column]);
        }
        (table.create, table.indexes)
    }

    fn add_version_and_created_at(&mut self) {
        self.create
            .col(big_integer("version").default(1))
            .col(timestamp_with_time_zone("created_at").default(Expr::current_timestamp()));
    }
}
