// The migrations are embedded by `sqlx::migrate!`; a new migration file alone must rebuild
// the crate, or a build would carry the migrations it was last compiled with.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
