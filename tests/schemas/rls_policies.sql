-- Row-level security (enabled, forced) and policies of every shape.
CREATE TABLE documents (id int PRIMARY KEY, owner_name text NOT NULL, tenant int NOT NULL, published boolean DEFAULT false);
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE documents FORCE ROW LEVEL SECURITY;
CREATE POLICY documents_owner ON documents USING (owner_name = current_user);
CREATE POLICY documents_published ON documents FOR SELECT USING (published);
CREATE POLICY documents_insert ON documents FOR INSERT TO PUBLIC WITH CHECK (owner_name = current_user);
CREATE POLICY documents_tenant ON documents AS RESTRICTIVE FOR UPDATE
    USING (tenant = current_setting('app.tenant')::int) WITH CHECK (tenant = current_setting('app.tenant')::int);
CREATE POLICY documents_delete ON documents FOR DELETE USING (NOT published);
CREATE TABLE audit (id int, note text);
ALTER TABLE audit ENABLE ROW LEVEL SECURITY;
