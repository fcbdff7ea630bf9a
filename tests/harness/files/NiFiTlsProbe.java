/*
 * The TLS side of a NiFi node, without NiFi: loads the keystore and truststore that
 * nifi.properties names, with the passwords it holds, and serves HTTPS on nifi.web.https.port with
 * client certificates required (NiFi requires them when no login identity provider, OIDC, SAML
 * or anonymous access is configured). For each request it answers with the client's identity as
 * NiFi 2 derives it: the subject DN rendered RFC 1779 style (X500Principal.getName(RFC1779) with
 * UID and DC named, as NiFi's StandardPrincipalFormatter does), then the first identity mapping
 * of nifi.properties (by key order) whose pattern matches the whole DN.
 *
 * Started by the Molecule scenario's verify step (`java NiFiTlsProbe.java /path/to/nifi.properties`);
 * the role never runs it. Java 21 runs a single source file without a separate compile step.
 */

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;

import java.io.FileInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import javax.security.auth.x500.X500Principal;

public class NiFiTlsProbe {
    private static final String MAPPING_PATTERN = "nifi.security.identity.mapping.pattern.";
    private static final String MAPPING_VALUE = "nifi.security.identity.mapping.value.";
    private static final Map<String, String> EXTRA_OID_NAMES = Map.of(
            "0.9.2342.19200300.100.1.1", "UID",
            "0.9.2342.19200300.100.1.25", "DC");

    public static void main(String[] args) throws Exception {
        Properties nifi = new Properties();
        try (InputStream in = new FileInputStream(args[0])) {
            nifi.load(in);
        }
        KeyStore keyStore = load(nifi, "nifi.security.keystore", "nifi.security.keystoreType", "nifi.security.keystorePasswd");
        KeyStore trustStore = load(nifi, "nifi.security.truststore", "nifi.security.truststoreType", "nifi.security.truststorePasswd");

        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        String keyPassword = nifi.getProperty("nifi.security.keyPasswd", "");
        keys.init(keyStore, (keyPassword.isEmpty() ? nifi.getProperty("nifi.security.keystorePasswd") : keyPassword).toCharArray());
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trustStore);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);

        TreeMap<String, Pattern> patterns = new TreeMap<>();
        for (String name : nifi.stringPropertyNames()) {
            if (name.startsWith(MAPPING_PATTERN) && !nifi.getProperty(name).isBlank()) {
                patterns.put(name.substring(MAPPING_PATTERN.length()), Pattern.compile(nifi.getProperty(name)));
            }
        }

        int port = Integer.parseInt(nifi.getProperty("nifi.web.https.port"));
        String host = nifi.getProperty("nifi.web.https.host", "");
        InetSocketAddress address = host.isBlank() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
        HttpsServer server = HttpsServer.create(address, 0);
        server.setHttpsConfigurator(new HttpsConfigurator(context) {
            @Override
            public void configure(HttpsParameters parameters) {
                SSLParameters ssl = context.getDefaultSSLParameters();
                ssl.setNeedClientAuth(true);
                parameters.setSSLParameters(ssl);
            }
        });
        server.createContext("/", exchange -> {
            X509Certificate client = (X509Certificate) ((HttpsExchange) exchange).getSSLSession().getPeerCertificates()[0];
            String dn = client.getSubjectX500Principal().getName(X500Principal.RFC1779, EXTRA_OID_NAMES);
            String identity = dn;
            for (Map.Entry<String, Pattern> mapping : patterns.entrySet()) {
                Matcher matcher = mapping.getValue().matcher(dn);
                if (matcher.matches()) {
                    identity = dn.replaceAll(mapping.getValue().pattern(), nifi.getProperty(MAPPING_VALUE + mapping.getKey(), ""));
                    break;
                }
            }
            byte[] body = ("dn=" + dn + "\nidentity=" + identity + "\n").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        System.out.println("serving HTTPS with client authentication required on port " + port);
    }

    private static KeyStore load(Properties nifi, String pathKey, String typeKey, String passwordKey) throws Exception {
        KeyStore store = KeyStore.getInstance(nifi.getProperty(typeKey));
        try (InputStream in = new FileInputStream(nifi.getProperty(pathKey))) {
            store.load(in, nifi.getProperty(passwordKey).toCharArray());
        }
        return store;
    }
}
