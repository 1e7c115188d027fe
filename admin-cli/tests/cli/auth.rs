//! `login`, `logout`, and the token's failures: expired, a rider's, none.

use reqwest::StatusCode;

use crate::common::{PASSWORD, mode, setup};

#[tokio::test]
async fn login_keeps_an_admin_token_readable_by_its_owner_only() {
    let env = setup().await;
    let (email, _) = env.admin().await;
    let run = env
        .run(
            &["login", "--email", &email],
            &[("HOOFBEAT_ADMIN_PASSWORD", PASSWORD)],
        )
        .await;
    run.expect(0);
    let file = env.token_file();
    assert!(
        run.stdout
            .contains(&format!("logged in as {email} (admin)")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&file.display().to_string()),
        "{}",
        run.stdout
    );
    assert_eq!(mode(&file), 0o600, "token file mode");
    assert_eq!(mode(file.parent().unwrap()), 0o700, "token directory mode");

    // The stored token works: the CLI uses it.
    env.run(&["jobs"], &[]).await.expect(0);

    // XDG_CONFIG_HOME and HOOFBEAT_ADMIN_TOKEN_FILE choose the place.
    let xdg = env.dir.join("xdg");
    env.run(
        &["login", "--email", &email],
        &[
            ("HOOFBEAT_ADMIN_PASSWORD", PASSWORD),
            ("XDG_CONFIG_HOME", xdg.to_str().unwrap()),
        ],
    )
    .await
    .expect(0);
    assert_eq!(mode(&xdg.join("hoofbeat/admin-token")), 0o600);
    let custom = env.dir.join("elsewhere/token");
    env.run(
        &["login", "--email", &email],
        &[
            ("HOOFBEAT_ADMIN_PASSWORD", PASSWORD),
            ("HOOFBEAT_ADMIN_TOKEN_FILE", custom.to_str().unwrap()),
        ],
    )
    .await
    .expect(0);
    assert_eq!(mode(&custom), 0o600);

    // Logout revokes the token and deletes the file.
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let token = stored["token"].as_str().unwrap().to_owned();
    let run = env.run(&["logout"], &[]).await;
    run.expect(0);
    assert!(!file.exists(), "token file still there");
    let me = env
        .http
        .get(format!("{}/v1/me", env.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.status(),
        StatusCode::UNAUTHORIZED,
        "the token still works after logout"
    );
    // Logged out: commands say so (exit 4).
    let run = env.run(&["jobs"], &[]).await;
    run.expect(4);
    assert!(
        run.stderr.starts_with("hoofbeat-admin: not logged in"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn login_refuses_to_keep_a_riders_token_and_a_wrong_password() {
    let env = setup().await;
    let (email, _) = env.user().await;
    let run = env
        .run(
            &["login", "--email", &email],
            &[("HOOFBEAT_ADMIN_PASSWORD", PASSWORD)],
        )
        .await;
    run.expect(5);
    assert!(
        run.stderr.contains("this account is not an admin"),
        "{}",
        run.stderr
    );
    assert!(!env.token_file().exists(), "a rider's token was stored");

    let (admin, _) = env.admin().await;
    let run = env
        .run(
            &["login", "--email", &admin],
            &[("HOOFBEAT_ADMIN_PASSWORD", "not the password")],
        )
        .await;
    run.expect(4);
    assert_eq!(run.stderr.trim(), "hoofbeat-admin: wrong email or password");
    assert!(!env.token_file().exists());

    // No password and no terminal to ask on: a usage error, not a hang.
    env.run(&["login", "--email", &admin], &[]).await.expect(2);
}

#[tokio::test]
async fn an_expired_token_says_log_in_again() {
    let env = setup().await;
    let (email, _) = env.cli_login().await;
    sqlx::query(
        "UPDATE api_tokens SET expires_at = now() - interval '1 minute'
         WHERE user_id = (SELECT id FROM users WHERE email = $1)",
    )
    .bind(&email)
    .execute(&env.db)
    .await
    .unwrap();
    let run = env.run(&["jobs"], &[]).await;
    run.expect(4);
    assert_eq!(
        run.stderr.trim(),
        "hoofbeat-admin: your token has expired or was revoked; run hoofbeat-admin login"
    );
    assert!(run.stdout.is_empty());
}

#[tokio::test]
async fn a_riders_token_is_forbidden() {
    let env = setup().await;
    let (_, rider) = env.user().await;
    let run = env
        .run(&["jobs"], &[("HOOFBEAT_ADMIN_TOKEN", &rider)])
        .await;
    run.expect(5);
    assert_eq!(
        run.stderr.trim(),
        "hoofbeat-admin: this account is not an admin"
    );
    // The variable wins over a file holding an admin's token.
    env.cli_login().await;
    env.run(&["jobs"], &[("HOOFBEAT_ADMIN_TOKEN", &rider)])
        .await
        .expect(5);
    env.run(&["jobs"], &[]).await.expect(0);
    // A token nobody issued.
    let run = env
        .run(&["jobs"], &[("HOOFBEAT_ADMIN_TOKEN", "hb_made_up")])
        .await;
    run.expect(4);
    assert!(
        run.stderr.contains("HOOFBEAT_ADMIN_TOKEN"),
        "{}",
        run.stderr
    );
}
