// Package s3store is a cache.Remote on an S3-compatible object store (AWS S3,
// Ceph RGW, Garage, SeaweedFS, MinIO, versitygw), through the AWS SDK for Go
// v2: endpoint, region and credentials come from the standard AWS environment
// variables (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, AWS_REGION,
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE, …) and the shared
// config and credentials files (~/.aws/config, ~/.aws/credentials).
package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kadanoff/kadanoff/pipeline/cache"
)

// Store holds the objects of a cache under a bucket and key prefix.
type Store struct {
	client *s3.Client
	bucket string
	prefix string // "" or ending in "/"
}

// ParseURL splits "s3://BUCKET/PREFIX" into its bucket and prefix.
func ParseURL(raw string) (bucket, prefix string, err error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", "", fmt.Errorf("remote %q: want s3://BUCKET or s3://BUCKET/PREFIX", raw)
	}
	prefix = strings.Trim(u.Path, "/")
	if prefix != "" {
		prefix += "/"
	}
	return u.Host, prefix, nil
}

// Open connects to the bucket named by an s3:// URL with the standard AWS
// configuration. A custom endpoint (an S3-compatible server) is addressed
// path-style (http://host/bucket/key), which every such server accepts; the
// region defaults to us-east-1 when none is configured.
func Open(ctx context.Context, raw string) (*Store, error) {
	bucket, prefix, err := ParseURL(raw)
	if err != nil {
		return nil, err
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("remote %s: AWS configuration: %w", raw, err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	custom := cfg.BaseEndpoint != nil || os.Getenv("AWS_ENDPOINT_URL_S3") != ""
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if custom {
			o.UsePathStyle = true
		}
	})
	return &Store{client: client, bucket: bucket, prefix: prefix}, nil
}

// Check asks the server for the bucket (HEAD), so that a wrong endpoint,
// bucket name or credentials is one clear error before a build starts
// rather than a warning per step.
func (s *Store) Check(ctx context.Context) error {
	_, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &s.bucket})
	if err == nil {
		return nil
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		if re.HTTPStatusCode() == 404 || re.HTTPStatusCode() == 403 {
			// HEAD has no body to say why; a listing's error code does
			// (some servers answer a wrong key id with 404).
			_, lerr := s.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &s.bucket, MaxKeys: aws.Int32(1)})
			var code interface{ ErrorCode() string }
			if errors.As(lerr, &code) {
				switch code.ErrorCode() {
				case "InvalidAccessKeyId", "XAdminUserNotFound": // S3; versitygw
					return fmt.Errorf("bucket %q: the server does not know the access key id (check AWS_ACCESS_KEY_ID / AWS_PROFILE)", s.bucket)
				case "SignatureDoesNotMatch":
					return fmt.Errorf("bucket %q: the secret key does not match the access key id (check AWS_SECRET_ACCESS_KEY / AWS_PROFILE)", s.bucket)
				case "NoSuchBucket":
					return fmt.Errorf("bucket %q does not exist there", s.bucket)
				}
			}
		}
		switch re.HTTPStatusCode() {
		case 404:
			return fmt.Errorf("bucket %q does not exist there", s.bucket)
		case 400:
			return fmt.Errorf("bucket %q: the server refuses the name (S3 bucket names are 3 to 63 lowercase letters, digits, dots and hyphens)", s.bucket)
		case 403:
			return fmt.Errorf("bucket %q: access denied (check AWS_ACCESS_KEY_ID / AWS_PROFILE and the bucket's policy)", s.bucket)
		}
	}
	return fmt.Errorf("bucket %q: %w", s.bucket, err)
}

// String implements cache.Remote.
func (s *Store) String() string { return "s3://" + s.bucket + "/" + s.prefix }

// notFound reports a 404 other than a missing bucket (a configuration
// error, not a cache miss; HEAD has no body to tell them apart).
func notFound(err error) bool {
	var re interface{ HTTPStatusCode() int }
	var code interface{ ErrorCode() string }
	if errors.As(err, &code) && code.ErrorCode() == "NoSuchBucket" {
		return false
	}
	return errors.As(err, &re) && re.HTTPStatusCode() == 404
}

// Get implements cache.Remote.
func (s *Store) Get(ctx context.Context, name string) ([]byte, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: aws.String(s.prefix + name)})
	if notFound(err) {
		return nil, fmt.Errorf("%s%s: %w", s, name, cache.ErrMissing)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s%s: %w", s, name, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("get %s%s: %w", s, name, err)
	}
	return data, nil
}

// Has implements cache.Remote.
func (s *Store) Has(ctx context.Context, name string) (bool, error) {
	_, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: aws.String(s.prefix + name)})
	if notFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("head %s%s: %w", s, name, err)
	}
	return true, nil
}

// Put implements cache.Remote. S3 makes an object visible only once all of it
// has arrived, so an interrupted upload leaves nothing.
func (s *Store) Put(ctx context.Context, name string, data []byte) error {
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        &s.bucket,
		Key:           aws.String(s.prefix + name),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
	})
	if err != nil {
		return fmt.Errorf("put %s%s: %w", s, name, err)
	}
	return nil
}

// CreateBucket creates the store's bucket (for tests and first-time setup);
// an existing bucket owned by the caller is not an error.
func (s *Store) CreateBucket(ctx context.Context) error {
	_, err := s.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &s.bucket})
	var owned interface{ ErrorCode() string }
	if errors.As(err, &owned) && (owned.ErrorCode() == "BucketAlreadyOwnedByYou") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", s.bucket, err)
	}
	return nil
}
