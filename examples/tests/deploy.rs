//! Every command line the deployment files give the server, run against the
//! real `agent-server` binary with `--check-config`: the image's
//! `ENTRYPOINT` and `CMD` (deploy/Dockerfile), the commands the image's
//! shims answer to (deploy/bin), the Kubernetes Deployment's `command`,
//! `args` and `env` (deploy/kubernetes), and the commands the
//! `flyteconnector` Helm chart runs with our values' `podEnv`
//! (deploy/helm). Each must be accepted, and the ports the probes and the
//! Service name must be the ones the server would listen on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use yaml_rust2::{Yaml, YamlLoader};

/// Where the image installs the server and its shims.
const IMAGE_BIN: &str = "/usr/local/bin/";

/// The commands the `flyteconnector` chart hard-codes, with no flags:
/// `pyflyte serve agent` in Flyte 1.16, `c0` in Flyte 2.
const CHART_COMMANDS: [&[&str]; 2] = [&["pyflyte", "serve", "agent"], &["c0"]];

/// The repository's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// A directory laid out as the image's `/usr/local/bin`: the server binary
/// and the shims of deploy/bin, as the Dockerfile copies them there.
struct ImageBin {
    dir: tempfile::TempDir,
}

impl ImageBin {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(
            env!("CARGO_BIN_EXE_agent-server"),
            dir.path().join("agent-server"),
        )
        .unwrap();
        for shim in std::fs::read_dir(root().join("deploy/bin")).unwrap() {
            let shim = shim.unwrap();
            std::os::unix::fs::symlink(shim.path(), dir.path().join(shim.file_name())).unwrap();
        }
        ImageBin { dir }
    }

    /// Runs `command` (its program an image path or a name on the image's
    /// PATH) with `extra` flags appended and only `env` in its environment.
    fn run(&self, command: &[String], extra: &[&str], env: &BTreeMap<String, String>) -> Output {
        let (program, args) = command.split_first().expect("an empty command line");
        let name = program.strip_prefix(IMAGE_BIN).unwrap_or(program);
        assert!(
            !name.contains('/'),
            "{program}: the image has its programs in {IMAGE_BIN}"
        );
        let program = self.dir.path().join(name);
        assert!(program.exists(), "{name} is not in the image");
        Command::new(&program)
            .args(args)
            .args(extra)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .envs(env)
            .output()
            .unwrap()
    }

    /// Runs `command` with `--check-config`, asserts that it succeeds, and
    /// answers the configuration it printed, flag by flag.
    fn check(&self, command: &[String], env: &BTreeMap<String, String>) -> Config {
        let output = self.run(command, &["--check-config"], env);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "`{} --check-config` failed ({}):\n{stdout}{}",
            command.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        Config::parse(&stdout)
    }
}

/// What `--check-config` printed: each flag's value and its source.
struct Config(BTreeMap<String, (String, String)>);

impl Config {
    fn parse(text: &str) -> Self {
        let flags = text
            .lines()
            .filter(|line| !line.starts_with('#') && !line.starts_with("agent = "))
            .map(|line| {
                let (flag, rest) = line.split_once(" = ").expect(line);
                let (value, source) = rest.split_once("  # ").expect(line);
                (flag.to_string(), (value.to_string(), source.to_string()))
            })
            .collect();
        Config(flags)
    }

    fn value(&self, flag: &str) -> &str {
        &self.0.get(flag).unwrap_or_else(|| panic!("no {flag}")).0
    }

    fn source(&self, flag: &str) -> &str {
        &self.0.get(flag).unwrap_or_else(|| panic!("no {flag}")).1
    }

    fn port(&self) -> i64 {
        self.value("port").parse().unwrap()
    }
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(ToString::to_string).collect()
}

/// The JSON array of the last `instruction` (`ENTRYPOINT`, `CMD`) of the
/// Dockerfile, the runtime stage's.
fn dockerfile_exec_form(dockerfile: &str, instruction: &str) -> Vec<String> {
    let line = dockerfile
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix(instruction)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("the Dockerfile has no {instruction}"));
    serde_json::from_str(line).unwrap_or_else(|error| {
        panic!("{instruction} {line}: write it in exec form, a JSON array ({error})")
    })
}

fn yaml_strings(yaml: &Yaml) -> Vec<String> {
    yaml.as_vec()
        .map(|items| {
            items
                .iter()
                .map(|item| item.as_str().expect("a string").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// A container's or chart's `env` list (`- name: N, value: V`).
fn yaml_env(yaml: &Yaml) -> BTreeMap<String, String> {
    yaml.as_vec()
        .into_iter()
        .flatten()
        .map(|var| {
            let value = match &var["value"] {
                Yaml::String(value) => value.clone(),
                other => panic!("env {:?}: quote its value ({other:?})", var["name"]),
            };
            (var["name"].as_str().unwrap().to_string(), value)
        })
        .collect()
}

#[test]
fn the_images_command_line_is_accepted() {
    let dockerfile = read("deploy/Dockerfile");
    let mut command = dockerfile_exec_form(&dockerfile, "ENTRYPOINT");
    command.extend(dockerfile_exec_form(&dockerfile, "CMD"));
    let config = ImageBin::new().check(&command, &BTreeMap::new());
    assert!(dockerfile.contains(&format!(
        "EXPOSE {} {}",
        config.port(),
        config.value("prometheus-port")
    )));
}

#[test]
fn the_image_copies_every_shim() {
    let dockerfile = read("deploy/Dockerfile");
    for shim in std::fs::read_dir(root().join("deploy/bin")).unwrap() {
        let name = shim.unwrap().file_name().into_string().unwrap();
        assert!(
            dockerfile.contains(&format!("deploy/bin/{name} ")),
            "the Dockerfile does not copy deploy/bin/{name}"
        );
    }
}

#[test]
fn the_commands_of_flytes_charts_and_flyte_sdk_are_accepted() {
    let bin = ImageBin::new();
    let none = BTreeMap::new();
    for command in CHART_COMMANDS {
        let config = bin.check(&strings(command), &none);
        assert_eq!(config.port(), 8000, "{command:?}");
    }
    // flytekit's connector command under its newer name, and flyte-sdk's
    // in its 2.0 betas.
    bin.check(
        &strings(&["pyflyte", "serve", "connector", "--port", "8000"]),
        &none,
    );
    bin.check(
        &strings(&["flyte", "serve", "connector", "--worker", "4"]),
        &none,
    );
    // What flyte-sdk's ConnectorEnvironment runs.
    let config = bin.check(
        &strings(&[
            "c0",
            "--port",
            "8080",
            "--prometheus_port",
            "9092",
            "--modules",
            "my_connector.connector",
        ]),
        &none,
    );
    assert_eq!(config.port(), 8080);
    assert_eq!(config.value("prometheus-port"), "9092");
    assert_eq!(config.value("modules"), "my_connector.connector");
}

#[test]
fn the_kubernetes_deployment_is_accepted_and_probes_the_port_it_serves() {
    let docs = YamlLoader::load_from_str(&read("deploy/kubernetes/agent-server.yaml")).unwrap();
    let deployment = docs
        .iter()
        .find(|doc| doc["kind"].as_str() == Some("Deployment"))
        .expect("a Deployment");
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    let mut command = yaml_strings(&container["command"]);
    command.extend(yaml_strings(&container["args"]));
    let env = yaml_env(&container["env"]);
    let config = ImageBin::new().check(&command, &env);

    let port = config.port();
    for probe in ["readinessProbe", "livenessProbe"] {
        assert_eq!(
            container[probe]["grpc"]["port"].as_i64(),
            Some(port),
            "{probe} must call grpc.health.v1 on the gRPC port"
        );
    }
    let ports: BTreeMap<_, _> = container["ports"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|port| {
            (
                port["name"].as_str().unwrap(),
                port["containerPort"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(ports["grpc"], port);
    let metrics: i64 = config.value("prometheus-port").parse().unwrap();
    assert_eq!(ports["metrics"], metrics);
    let annotations = &deployment["spec"]["template"]["metadata"]["annotations"];
    assert_eq!(
        annotations["prometheus.io/port"].as_str(),
        Some(metrics.to_string().as_str())
    );
    for (name, value) in &env {
        let flag = name
            .strip_prefix("FLYTE_AGENT_")
            .map(|flag| flag.to_lowercase().replace('_', "-"));
        if let Some(flag) = flag.filter(|flag| config.0.contains_key(flag)) {
            assert_eq!(config.value(&flag), value, "{name}");
            assert_eq!(config.source(&flag), format!("env {name}"));
        }
    }

    let service = docs
        .iter()
        .find(|doc| doc["kind"].as_str() == Some("Service"))
        .expect("a Service");
    let service_port = &service["spec"]["ports"][0];
    assert_eq!(service_port["targetPort"].as_str(), Some("grpc"));
    assert_eq!(service_port["appProtocol"].as_str(), Some("grpc"));
    assert_eq!(
        service["spec"]["selector"],
        deployment["spec"]["selector"]["matchLabels"]
    );
}

#[test]
fn the_helm_values_are_accepted_by_the_charts_commands() {
    let values = YamlLoader::load_from_str(&read("deploy/helm/flyteconnector-values.yaml"))
        .unwrap()
        .remove(0);
    // The chart's deployment does not render extraArgs: settings go in
    // podEnv, which it does.
    assert!(
        values["extraArgs"].is_badvalue(),
        "the chart does not pass extraArgs to the container: use podEnv"
    );
    let env = yaml_env(&values["podEnv"]);
    assert!(!env.is_empty(), "the values set the server through podEnv");
    let bin = ImageBin::new();
    for command in CHART_COMMANDS {
        let config = bin.check(&strings(command), &env);
        for (name, value) in &env {
            let flag = name
                .strip_prefix("FLYTE_AGENT_")
                .map(|flag| flag.to_lowercase().replace('_', "-"))
                .unwrap_or_else(|| panic!("{name} is not a setting of the server"));
            assert_eq!(config.value(&flag), value, "{command:?}: {name}");
            assert_eq!(config.source(&flag), format!("env {name}"));
        }
        assert_eq!(
            values["ports"]["containerPort"].as_i64(),
            Some(config.port())
        );
        assert_eq!(
            values["readinessProbe"]["grpc"]["port"].as_i64(),
            Some(config.port())
        );
        assert_eq!(
            values["podAnnotations"]["prometheus.io/port"].as_str(),
            Some(config.value("prometheus-port"))
        );
    }
}

#[test]
fn a_wrong_flag_exits_2_directly_and_through_the_shims() {
    let bin = ImageBin::new();
    let none = BTreeMap::new();
    for command in [
        &["agent-server", "--no-such-flag"][..],
        &["pyflyte", "serve", "agent", "--no-such-flag"],
        &["c0", "--port", "not-a-port"],
        &[
            "flyte",
            "serve",
            "connector",
            "--port",
            "8000",
            "--prometheus-port",
            "8000",
        ],
        &["pyflyte", "run", "workflow.py"],
        &["flyte", "run", "workflow.py"],
    ] {
        let output = bin.run(&strings(command), &["--check-config"], &none);
        assert_eq!(output.status.code(), Some(2), "{command:?}");
        assert!(output.stdout.is_empty(), "{command:?}: nothing on stdout");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("error") || stderr.contains("this image runs only"),
            "{command:?}: {stderr}"
        );
    }
}

#[test]
fn a_wrong_environment_value_exits_2() {
    let env = BTreeMap::from([("FLYTE_AGENT_WORKER".to_string(), "zero".to_string())]);
    let output = ImageBin::new().run(&strings(&["c0"]), &["--check-config"], &env);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--worker"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn tls_files_that_cannot_be_read_fail_the_check_naming_them() {
    let output = ImageBin::new().run(
        &strings(&[
            "agent-server",
            "--tls-cert",
            "/nonexistent/tls.crt",
            "--tls-key",
            "/nonexistent/tls.key",
        ]),
        &["--check-config"],
        &BTreeMap::new(),
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/nonexistent/tls.crt"), "{stderr}");
}

#[test]
fn sealing_keys_that_cannot_be_used_fail_the_check_saying_why() {
    let bin = ImageBin::new();
    let (short, long) = ("k3y-x", "a-sealing-key-long-enough-for-the-server-to-use");
    let short_key = BTreeMap::from([("FLYTE_AGENT_SEAL_KEY".to_string(), short.to_string())]);
    let both_keys = BTreeMap::from([("FLYTE_AGENT_SEAL_KEY".to_string(), long.to_string())]);
    for (flags, env, named) in [
        (&[][..], &short_key, "FLYTE_AGENT_SEAL_KEY"),
        (
            &["--seal-key-file", "/nonexistent/seal.key"][..],
            &BTreeMap::new(),
            "/nonexistent/seal.key",
        ),
        (
            &["--seal-key-file", "/nonexistent/seal.key"][..],
            &both_keys,
            "set one",
        ),
    ] {
        let mut command = strings(&["agent-server"]);
        command.extend(strings(flags));
        let output = bin.run(&command, &["--check-config"], env);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{flags:?}: {stderr}");
        assert!(stderr.contains(named), "{flags:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{flags:?}: nothing printed");
        assert!(
            !stderr.contains(short) && !stderr.contains(long),
            "{flags:?}: a key is never printed: {stderr}"
        );
    }
}
